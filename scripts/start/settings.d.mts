/** Types of settings.mjs, for the tests that import it. */
export declare class StartSettingsError extends Error {}
export declare const DEFAULT_PORTS: Readonly<{ web: number; tcp: number; tls: number; ws: number; wss: number; http: number }>;
export declare const PORT_VARIABLES: Readonly<{ web: string; tcp: string; tls: string; ws: string; wss: string; http: string }>;
/** The shortest `DEMO_TOKEN_TTL_MS`: `MIN_TOKEN_LIFETIME` of the server entry. */
export declare const MIN_TOKEN_TTL_MS: number;

interface CommonSettings {
  webPort: number;
  tokenTtl: number;
  groupId: string;
  parentTopic: string;
  instanceId: string;
}
/** The local broker's settings. */
export interface LocalStartSettings extends CommonSettings {
  target: 'local';
  brokerPorts: { tcp: number; tls: number; ws: number; wss: number; http: number };
}
/** An ApsaraMQ instance's settings (the secret stays in the environment). */
export interface InstanceStartSettings extends CommonSettings {
  target: 'instance';
  accessKeyId: string;
  /** The names of the AccessKey variables in use (`APSARAMQ_*` or Alibaba's `ALIBABA_CLOUD_*`). */
  accessKeyVariables: AccessKeyVariables;
  openApi: { endpoint: string } | { regionId: string };
  host: string;
  pages: { transport: 'ws' | 'wss'; port: number; path: string };
}
export type StartSettings = LocalStartSettings | InstanceStartSettings;
/** The variable names of one AccessKey family. */
export interface AccessKeyVariables {
  id: string;
  secret: string;
  token: string;
}
/** `APSARAMQ_*` when either of its AccessKey variables is set, else `ALIBABA_CLOUD_*`. */
export declare function accessKeyVariables(env: Readonly<Record<string, string | undefined>>): AccessKeyVariables;
/** Reads the settings from `env`; throws {@link StartSettingsError} naming the variable. */
export declare function readStartSettings(env: Readonly<Record<string, string | undefined>>, files: { brokerConfigFile: string }): StartSettings;
