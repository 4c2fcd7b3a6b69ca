/**
 * The `onsmqtt` OpenAPI (2020-04-20, RPC style) as data: its version, every action the SDK speaks with
 * its parameters (wire name, the option name both sides use, type, required, limits), its answer fields
 * (wire name, the record name the client reads them into), the error codes it may answer and its rate
 * limit. The one description of the API: the client (`server/onsmqtt-client.ts`,
 * `server/onsmqtt-management.ts`) encodes requests and decodes answers from it, and the local service
 * (`broker/openapi/`) parses requests and formats answers from it (`onsmqtt-codec.ts` does both), so the
 * two cannot drift.
 *
 * Sources: the action list, parameter and answer names are those of Alibaba's SDK for the product
 * (`aliyun/alibabacloud-typescript-sdk`, `onsmqtt-20200420/src/client.ts`); types, limits, per-action
 * error codes and rate limits are those of each action's API reference (`api-onsmqtt-2020-04-20-<action>`)
 * and the product's "Error codes" page; the calls-per-second figures are the "Limits on QPS" page
 * (document 163047). What the sources leave open is marked "inferred" beside it.
 * @module
 */
import { MAX_TOKEN_RESOURCES, MAX_TOKEN_TTL, MIN_TOKEN_TTL } from '../protocol/token-rules.js';

/** The API version of the product: every request carries it as `Version`. */
export const ONSMQTT_VERSION = '2020-04-20';

/**
 * How a parameter is written on the wire and checked on both sides.
 * - `string`: a non-empty string; `text`: any string (the client sends an empty one, the service
 *   requires a value, as Alibaba's gateway does).
 * - `clientId`: a string that is a valid client id (`GID_xxx@@@device`).
 * - `enum`: one of `values`. `integer`: a whole number in `[min, max]`, sent as decimal text.
 * - `list`: a repeat list `Name.1`, `Name.2`, … of client ids, at most `max` items.
 * - `topics`: ApplyToken's comma-separated, sorted list of 1 to 100 topics. `actions`: `R`, `W`, `R,W`.
 * - `time`: UNIX milliseconds (ApplyToken's ExpireTime: `min` to `max` ms after the call).
 */
export type ParamType = 'string' | 'text' | 'clientId' | 'enum' | 'integer' | 'list' | 'topics' | 'actions' | 'time';

/** One request parameter of an action. */
export interface ParamSpec {
  /** The wire name, e.g. `ClientId`. */
  readonly name: string;
  /** The option name the client takes it as and the service hands its actions, e.g. `clientId`. */
  readonly key: string;
  /** How it is written and checked (see {@link ParamType}). */
  readonly type: ParamType;
  /** The service answers `Missing<Name>` without it. */
  readonly required?: boolean;
  /** `enum`: the allowed values. */
  readonly values?: readonly string[];
  /** `integer`: the smallest value; `time`: the shortest time ahead, ms. */
  readonly min?: number;
  /** `integer`: the largest value; `list`: the most items; `time`: the longest time ahead, ms (longer is cut to it). */
  readonly max?: number;
  /** What the client sends when the caller gives nothing. */
  readonly clientDefault?: number;
  /** A secret value: masked in the client's errors. */
  readonly sensitive?: boolean;
  /** The client sends it only when another parameter has this value (and then requires it). */
  readonly onlyWhen?: { readonly key: string; readonly equals: string };
  /** The instance parameter: checked against the instance the service plays before the others are read. */
  readonly instance?: boolean;
}

/** Where an answer field's value comes from and what shape it has. */
export interface FieldSpec {
  /** The wire name, e.g. `DeviceAccessKeyId`. */
  readonly name: string;
  /** The record name the client reads it as, e.g. `deviceAccessKeyId`. */
  readonly key: string;
  /** Its JSON type. */
  readonly type: 'string' | 'number' | 'boolean' | 'object' | 'array';
  /** The client refuses an answer without it (the service always sends it). */
  readonly required?: boolean;
  /** `object`: its fields; `array`: the fields of each item (absent: the items are strings). */
  readonly fields?: readonly FieldSpec[];
  /** A constant the service always answers (the custom-auth envelope: `Code: 200`, `Success: true`). */
  readonly value?: string | number | boolean;
  /** A secret (a token, a device secret): the client keeps it behind a getter. */
  readonly secret?: boolean;
}

/** Which part of an instance an action works on (the local service answers `ApiNotSupport` without it). */
export type ActionGroup = 'tokens' | 'devices' | 'sessions' | 'publisher' | 'groups' | 'customAuth';

/** One action of the product. */
export interface ActionSpec {
  /** The part of the instance it works on. */
  readonly group: ActionGroup;
  /** Its own parameters (the common ones, `Action`, `Version`, the signature's, are not listed). */
  readonly params: readonly ParamSpec[];
  /** The answer's fields besides `RequestId`. */
  readonly answer: readonly FieldSpec[];
  /** The product's error codes its API reference lists (besides the gateway's). */
  readonly errors: readonly OnsMqttErrorCode[];
  /** Calls per second per account, when documented. */
  readonly rateLimit?: number;
  /** The code a call over the rate limit answers (default `SystemOverFlow`). */
  readonly overflow?: OnsMqttErrorCode;
  /** The code a parameter that breaks a rule answers: `InvalidParameter.<Name>` or (Group IDs) `ParameterFieldCheckFailed`. */
  readonly invalid?: 'InvalidParameter' | 'ParameterFieldCheckFailed';
  /** The code another instance answers (default `InstancePermissionCheckFailed`). */
  readonly otherInstance?: 'InstancePermissionCheckFailed' | 'InstanceNotFound';
}

/**
 * The product's error answers (the "Error codes" page and the API reference of each action): HTTP
 * status and the documented message, word for word.
 */
export const ONSMQTT_ERRORS = {
  ApiNotSupport: { status: 404, message: 'The specified API is not supported.' },
  'InvalidParameter': { status: 400, message: 'An error occurred while validating the parameter. The parameter may be missing or invalid.' },
  ParameterFieldCheckFailed: { status: 400, message: 'Failed to validate the parameters. The parameters may be missing or invalid.' },
  InstancePermissionCheckFailed: {
    status: 400,
    message: 'An error occurred while validating the permissions of the instance. Please verify the account that created the instance and its permissions settings.',
  },
  InstanceNotFound: { status: 400, message: 'Failed to find the instance. The instanceId may be invalid.' },
  GroupIdAlreadyExsited: { status: 400, message: 'The specified GroupId already exists.' },
  DeviceCredentialNotFound: { status: 400, message: 'Device Credential Not Found. Check if the device certificate is registered.' },
  'Customauth.over.capacity': { status: 400, message: 'Over custom auth capacity.' },
  ApplyTokenOverFlow: { status: 400, message: 'You have applied for tokens too many times. Please try again later.' },
  QueryTokenOverFlow: { status: 400, message: 'You have queried tokens too many times. Please try again later.' },
  RevokeTokenOverFlow: { status: 400, message: 'You have revoked tokens too many times. Please try again later.' },
  SystemOverFlow: { status: 500, message: 'An error occurred while processing your request. Please try again.' },
  InternalError: { status: 500, message: 'An error occurred while processing your request. Try again later.' },
} as const satisfies Readonly<Record<string, { readonly status: number; readonly message: string }>>;

/** A product error code of {@link ONSMQTT_ERRORS}. */
export type OnsMqttErrorCode = keyof typeof ONSMQTT_ERRORS;

/** The most items of a Query page (`Size`, `PageSize`), from the API reference of each Query action. */
export const MAX_PAGE_SIZE = 100;
/** BatchQuerySessionByClientIds: client ids per call. */
export const MAX_BATCH_CLIENT_IDS = 10;

// --- parameters shared by many actions -----------------------------------------------------------
const INSTANCE = { name: 'InstanceId', key: 'instanceId', type: 'string', required: true, instance: true } as const;
const CLIENT_ID = { name: 'ClientId', key: 'clientId', type: 'clientId', required: true } as const;
const TOKEN = { name: 'Token', key: 'token', type: 'string', required: true, sensitive: true } as const;
const GROUP_ID = { name: 'GroupId', key: 'groupId', type: 'string', required: true } as const;
const IDENTITY_TYPE = { name: 'IdentityType', key: 'identityType', type: 'enum', values: ['USER', 'CLIENT'], required: true } as const;
const IDENTITY_TYPE_FILTER = { name: 'IdentityType', key: 'identityType', type: 'enum', values: ['USER', 'CLIENT'] } as const;
const SIGN_MODE = { name: 'SignMode', key: 'signMode', type: 'enum', values: ['ORIGIN', 'SIGNED'] } as const;
const PERMIT_ACTION = { name: 'PermitAction', key: 'permitAction', type: 'enum', values: ['PUB', 'SUB', 'PUB_SUB'], required: true } as const;
const EFFECT = { name: 'Effect', key: 'effect', type: 'enum', values: ['ALLOW', 'DENY'], required: true } as const;
const IDENTITY_CLIENT_ID = { name: 'ClientId', key: 'clientId', type: 'string', onlyWhen: { key: 'identityType', equals: 'CLIENT' } } as const;
// Size is required by the API reference; the client sends 100 when the caller gives none.
const SIZE = { name: 'Size', key: 'size', type: 'integer', min: 1, max: MAX_PAGE_SIZE, required: true, clientDefault: MAX_PAGE_SIZE } as const;
const NEXT_TOKEN = { name: 'NextToken', key: 'nextToken', type: 'string' } as const;

// --- answers shared by many actions --------------------------------------------------------------
/** The custom-auth (and CloseConnection) success envelope. */
const OPERATION = [
  { name: 'Code', key: 'code', type: 'number', value: 200 },
  { name: 'Success', key: 'success', type: 'boolean', value: true },
  { name: 'Message', key: 'message', type: 'string', value: 'operation success.' },
] as const;
const DEVICE_CREDENTIAL = [
  {
    name: 'DeviceCredential',
    key: 'deviceCredential',
    type: 'object',
    required: true,
    fields: [
      { name: 'ClientId', key: 'clientId', type: 'string' },
      { name: 'InstanceId', key: 'instanceId', type: 'string' },
      { name: 'DeviceAccessKeyId', key: 'deviceAccessKeyId', type: 'string', required: true },
      { name: 'DeviceAccessKeySecret', key: 'deviceAccessKeySecret', type: 'string', required: true, secret: true },
      { name: 'CreateTime', key: 'createTime', type: 'number' },
      { name: 'UpdateTime', key: 'updateTime', type: 'number' },
    ],
  },
] as const;
/** A Query action's page: `Data: { Results: [...], NextToken? }` after the envelope. */
const page = <F extends readonly FieldSpec[]>(fields: F) =>
  [
    ...OPERATION,
    {
      name: 'Data',
      key: 'data',
      type: 'object',
      required: true,
      fields: [
        { name: 'Results', key: 'results', type: 'array', required: true, fields },
        { name: 'NextToken', key: 'nextToken', type: 'string' },
      ],
    },
  ] as const;

const CUSTOM_AUTH_ERRORS = ['InvalidParameter', 'InstancePermissionCheckFailed', 'Customauth.over.capacity'] as const;
const DEVICE_ERRORS = ['InvalidParameter', 'InstancePermissionCheckFailed', 'DeviceCredentialNotFound'] as const;
const GROUP_ERRORS = ['ParameterFieldCheckFailed', 'InstanceNotFound'] as const;
const GROUP_ACTION = { group: 'groups', invalid: 'ParameterFieldCheckFailed', otherInstance: 'InstanceNotFound' } as const;

/**
 * Every action the client calls by name and the local service answers, with its parameters, answer
 * fields, error codes and rate limit.
 */
export const ONSMQTT_CONTRACT = {
  // --- tokens (ApplyToken 100/s, QueryToken 100/s, RevokeToken 5/s) ----------------------------
  ApplyToken: {
    group: 'tokens',
    rateLimit: 100,
    overflow: 'ApplyTokenOverFlow',
    params: [
      INSTANCE,
      { name: 'Resources', key: 'resources', type: 'topics', required: true, max: MAX_TOKEN_RESOURCES },
      { name: 'Actions', key: 'actions', type: 'actions', required: true, values: ['R', 'W', 'R,W'] },
      // 60 s to 30 days ahead; the service cuts a longer lifetime to 30 days without saying so.
      { name: 'ExpireTime', key: 'expireTime', type: 'time', required: true, min: MIN_TOKEN_TTL, max: MAX_TOKEN_TTL },
    ],
    answer: [{ name: 'Token', key: 'token', type: 'string', required: true, secret: true }],
    errors: ['InvalidParameter', 'InstancePermissionCheckFailed', 'ApplyTokenOverFlow'],
  },
  QueryToken: {
    group: 'tokens',
    rateLimit: 100,
    overflow: 'QueryTokenOverFlow',
    params: [INSTANCE, TOKEN],
    answer: [{ name: 'TokenStatus', key: 'tokenStatus', type: 'boolean', required: true }],
    errors: ['InstancePermissionCheckFailed', 'QueryTokenOverFlow'],
  },
  RevokeToken: {
    group: 'tokens',
    rateLimit: 5,
    overflow: 'RevokeTokenOverFlow',
    params: [INSTANCE, TOKEN],
    answer: [],
    errors: ['InstancePermissionCheckFailed', 'RevokeTokenOverFlow'],
  },

  // --- device credentials (500/s each) ----------------------------------------------------------
  RegisterDeviceCredential: { group: 'devices', rateLimit: 500, params: [INSTANCE, CLIENT_ID], answer: DEVICE_CREDENTIAL, errors: DEVICE_ERRORS },
  GetDeviceCredential: { group: 'devices', rateLimit: 500, params: [INSTANCE, CLIENT_ID], answer: DEVICE_CREDENTIAL, errors: DEVICE_ERRORS },
  RefreshDeviceCredential: { group: 'devices', rateLimit: 500, params: [INSTANCE, CLIENT_ID], answer: DEVICE_CREDENTIAL, errors: DEVICE_ERRORS },
  UnRegisterDeviceCredential: { group: 'devices', rateLimit: 500, params: [INSTANCE, CLIENT_ID], answer: [], errors: DEVICE_ERRORS },
  ListDeviceCredentialClientId: {
    group: 'devices',
    params: [
      INSTANCE,
      GROUP_ID,
      { name: 'PageSize', key: 'pageSize', type: 'integer', min: 1, max: MAX_PAGE_SIZE, required: true, clientDefault: MAX_PAGE_SIZE },
      { name: 'PageNo', key: 'pageNo', type: 'integer', min: 1, max: 1_000_000 },
      // Inferred: the reference shows a NextToken without saying what it holds; the local service hands out page numbers.
      NEXT_TOKEN,
    ],
    answer: [
      {
        name: 'DeviceCredentialClientIdList',
        key: 'list',
        type: 'object',
        required: true,
        fields: [
          { name: 'Total', key: 'total', type: 'string' },
          { name: 'ClientIdList', key: 'clientIds', type: 'array', required: true },
          { name: 'PageNo', key: 'pageNo', type: 'string' },
          { name: 'PageSize', key: 'pageSize', type: 'string' },
          { name: 'NextToken', key: 'nextToken', type: 'string' },
        ],
      },
    ],
    errors: ['InvalidParameter', 'InstancePermissionCheckFailed'],
  },

  // --- sessions and messages --------------------------------------------------------------------
  QuerySessionByClientId: {
    group: 'sessions',
    rateLimit: 500,
    params: [INSTANCE, CLIENT_ID],
    answer: [{ name: 'OnlineStatus', key: 'online', type: 'boolean', required: true }],
    errors: ['InvalidParameter', 'InstancePermissionCheckFailed'],
  },
  BatchQuerySessionByClientIds: {
    group: 'sessions',
    rateLimit: 100,
    params: [INSTANCE, { name: 'ClientIdList', key: 'clientIds', type: 'list', required: true, max: MAX_BATCH_CLIENT_IDS }],
    answer: [
      {
        name: 'OnlineStatusList',
        key: 'list',
        type: 'array',
        required: true,
        fields: [
          { name: 'ClientId', key: 'clientId', type: 'string' },
          { name: 'OnlineStatus', key: 'online', type: 'boolean' },
        ],
      },
    ],
    errors: ['InvalidParameter', 'InstancePermissionCheckFailed'],
  },
  SendMessage: {
    group: 'publisher',
    rateLimit: 1000,
    params: [INSTANCE, { name: 'MqttTopic', key: 'topic', type: 'string', required: true }, { name: 'Payload', key: 'payload', type: 'text', required: true }],
    answer: [{ name: 'MsgId', key: 'msgId', type: 'string', required: true }],
    errors: ['InvalidParameter', 'InstancePermissionCheckFailed'],
  },
  CloseConnection: {
    group: 'sessions',
    params: [INSTANCE, CLIENT_ID],
    answer: OPERATION,
    errors: ['InvalidParameter', 'InstancePermissionCheckFailed'],
  },

  // --- Group IDs ---------------------------------------------------------------------------------
  CreateGroupId: { ...GROUP_ACTION, params: [INSTANCE, GROUP_ID], answer: [], errors: [...GROUP_ERRORS, 'GroupIdAlreadyExsited'] },
  DeleteGroupId: { ...GROUP_ACTION, params: [INSTANCE, GROUP_ID], answer: [], errors: GROUP_ERRORS },
  ListGroupId: {
    ...GROUP_ACTION,
    params: [INSTANCE],
    answer: [
      {
        name: 'Data',
        key: 'groups',
        type: 'array',
        required: true,
        fields: [
          { name: 'GroupId', key: 'groupId', type: 'string' },
          { name: 'InstanceId', key: 'instanceId', type: 'string' },
          { name: 'CreateTime', key: 'createTime', type: 'number' },
          { name: 'UpdateTime', key: 'updateTime', type: 'number' },
          { name: 'IndependentNaming', key: 'independentNaming', type: 'boolean' },
        ],
      },
    ],
    errors: GROUP_ERRORS,
  },

  // --- custom authentication ---------------------------------------------------------------------
  AddCustomAuthIdentity: {
    group: 'customAuth',
    params: [
      INSTANCE,
      { name: 'Username', key: 'username', type: 'string', required: true },
      { name: 'Secret', key: 'secret', type: 'string', required: true, sensitive: true },
      IDENTITY_TYPE,
      IDENTITY_CLIENT_ID,
      // Optional here (SIGNED when absent, the mode the overview recommends), required by Update.
      SIGN_MODE,
    ],
    answer: OPERATION,
    errors: CUSTOM_AUTH_ERRORS,
  },
  UpdateCustomAuthIdentity: {
    group: 'customAuth',
    params: [
      INSTANCE,
      { name: 'Username', key: 'username', type: 'string', required: true },
      { name: 'Secret', key: 'secret', type: 'string', required: true, sensitive: true },
      IDENTITY_TYPE,
      IDENTITY_CLIENT_ID,
      { ...SIGN_MODE, required: true },
    ],
    answer: OPERATION,
    errors: CUSTOM_AUTH_ERRORS,
  },
  DeleteCustomAuthIdentity: {
    group: 'customAuth',
    params: [INSTANCE, { name: 'Username', key: 'username', type: 'string', required: true }, IDENTITY_TYPE, IDENTITY_CLIENT_ID],
    answer: OPERATION,
    errors: CUSTOM_AUTH_ERRORS,
  },
  QueryCustomAuthIdentity: {
    group: 'customAuth',
    params: [
      INSTANCE,
      { name: 'Username', key: 'username', type: 'string' },
      IDENTITY_TYPE_FILTER,
      { name: 'ClientId', key: 'clientId', type: 'string' },
      SIZE,
      NEXT_TOKEN,
    ],
    answer: page([
      { name: 'Username', key: 'username', type: 'string' },
      { name: 'Secret', key: 'secret', type: 'string', secret: true },
      { name: 'IdentityType', key: 'identityType', type: 'string' },
      { name: 'ClientId', key: 'clientId', type: 'string' },
      { name: 'SignMode', key: 'signMode', type: 'string' },
    ] as const),
    errors: CUSTOM_AUTH_ERRORS,
  },
  AddCustomAuthPermission: {
    group: 'customAuth',
    params: [INSTANCE, IDENTITY_TYPE, { name: 'Identity', key: 'identity', type: 'string', required: true }, { name: 'Topic', key: 'topic', type: 'string', required: true }, PERMIT_ACTION, EFFECT],
    answer: OPERATION,
    errors: CUSTOM_AUTH_ERRORS,
  },
  UpdateCustomAuthPermission: {
    group: 'customAuth',
    params: [INSTANCE, IDENTITY_TYPE, { name: 'Identity', key: 'identity', type: 'string', required: true }, { name: 'Topic', key: 'topic', type: 'string', required: true }, PERMIT_ACTION, EFFECT],
    answer: OPERATION,
    errors: CUSTOM_AUTH_ERRORS,
  },
  DeleteCustomAuthPermission: {
    group: 'customAuth',
    params: [INSTANCE, IDENTITY_TYPE, { name: 'Identity', key: 'identity', type: 'string', required: true }, { name: 'Topic', key: 'topic', type: 'string', required: true }],
    answer: OPERATION,
    errors: CUSTOM_AUTH_ERRORS,
  },
  QueryCustomAuthPermission: {
    group: 'customAuth',
    params: [INSTANCE, IDENTITY_TYPE_FILTER, { name: 'Identity', key: 'identity', type: 'string' }, { name: 'Topic', key: 'topic', type: 'string' }, SIZE, NEXT_TOKEN],
    answer: page([
      { name: 'Identity', key: 'identity', type: 'string' },
      { name: 'IdentityType', key: 'identityType', type: 'string' },
      { name: 'Topic', key: 'topic', type: 'string' },
      { name: 'PermitAction', key: 'permitAction', type: 'string' },
      { name: 'Effect', key: 'effect', type: 'string' },
    ] as const),
    errors: CUSTOM_AUTH_ERRORS,
  },
  AddCustomAuthConnectBlack: { group: 'customAuth', params: [INSTANCE, CLIENT_ID], answer: OPERATION, errors: CUSTOM_AUTH_ERRORS },
  DeleteCustomAuthConnectBlack: { group: 'customAuth', params: [INSTANCE, CLIENT_ID], answer: OPERATION, errors: CUSTOM_AUTH_ERRORS },
  QueryCustomAuthConnectBlack: {
    group: 'customAuth',
    params: [INSTANCE, { name: 'ClientId', key: 'clientId', type: 'string' }, SIZE, NEXT_TOKEN],
    answer: page([
      { name: 'ClientId', key: 'clientId', type: 'string' },
      // Inferred: an entry denies CONNECT; the example answer shows these two fields.
      { name: 'Effect', key: 'effect', type: 'string' },
      { name: 'PermitAction', key: 'permitAction', type: 'string' },
    ] as const),
    errors: CUSTOM_AUTH_ERRORS,
  },
} as const satisfies Readonly<Record<string, ActionSpec>>;

/** An action described by {@link ONSMQTT_CONTRACT}. */
export type OnsMqttAction = keyof typeof ONSMQTT_CONTRACT;

/**
 * The other actions of Alibaba's SDK for the product (CA and device certificates, message traces,
 * tags, disaster recovery, SNI, instance listing): the client reaches them through `call`, the local
 * service answers them `404 ApiNotSupport`.
 */
export const ONSMQTT_UNDESCRIBED_ACTIONS = Object.freeze([
  'ActiveCaCertificate', 'ActiveDeviceCertificate', 'DeleteCaCertificate', 'DeleteDeviceCertificate', 'DisasterDowngrade', 'DisasterRecovery',
  'GetCaCertificate', 'GetDeviceCertificate', 'GetRegisterCode', 'InactivateCaCertificate', 'InactivateDeviceCertificate', 'ListCaCertificate',
  'ListDeviceCertificate', 'ListDeviceCertificateByCaSn', 'ListInstances', 'ListTagResources', 'QueryMqttTraceDevice', 'QueryMqttTraceMessageOfClient',
  'QueryMqttTraceMessagePublish', 'QueryMqttTraceMessageSubscribe', 'RegisterCaCertificate', 'SetSniConfig', 'TagResources', 'UntagResources',
] as const);

/** Every action of Alibaba's SDK for `onsmqtt` 2020-04-20, sorted: the described ones and the others. */
export const ONSMQTT_SDK_ACTIONS: readonly string[] = Object.freeze([...Object.keys(ONSMQTT_CONTRACT), ...ONSMQTT_UNDESCRIBED_ACTIONS].sort());

/** The spec of `action`, or `undefined` for a name the contract does not describe. */
export function actionSpec(action: string): ActionSpec | undefined {
  return Object.hasOwn(ONSMQTT_CONTRACT, action) ? (ONSMQTT_CONTRACT as Readonly<Record<string, ActionSpec>>)[action] : undefined;
}

/** Calls per second per account, by action, as documented (the local service counts them per AccessKey). */
export const ONSMQTT_RATE_LIMITS: Readonly<Record<string, number>> = Object.freeze(
  Object.fromEntries(
    Object.entries(ONSMQTT_CONTRACT as Readonly<Record<string, ActionSpec>>)
      .filter(([, spec]) => spec.rateLimit !== undefined)
      .map(([action, spec]) => [action, spec.rateLimit!]),
  ),
);

// --- the input types both sides see, derived from the contract ------------------------------------
type ParamValue<P> = P extends { type: 'integer' | 'time' } ? number : P extends { type: 'list' | 'topics' } ? string[] : P extends { type: 'enum' | 'actions'; values: readonly (infer V)[] } ? V : string;
type ParamsOf<A extends OnsMqttAction> = (typeof ONSMQTT_CONTRACT)[A]['params'][number];

/** An action's parameters keyed by option name, as the local service hands them to the action (parsed, checked). */
export type OnsMqttInput<A extends OnsMqttAction> = {
  readonly [P in ParamsOf<A> as P['key']]: P extends { required: true } ? ParamValue<P> : ParamValue<P> | undefined;
};
