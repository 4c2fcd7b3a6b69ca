/**
 * Where the `onsmqtt` OpenAPI answers, by region: the public endpoint and, where Alibaba runs one, the
 * VPC endpoint (reachable only from inside an Alibaba Cloud VPC of that region, no Internet egress).
 *
 * Source: ApsaraMQ for MQTT, "Endpoints" / 服务接入点 (alibabacloud.com/help/en/doc-detail/181438.htm,
 * help.aliyun.com/document_detail/181438.html; the OpenAPI section of the developer reference,
 * `api-onsmqtt-2020-04-20-endpoint`), as last updated 31 July 2025. Regions added since 2024:
 * `cn-wulanchabu`, `cn-guangzhou`, `cn-chengdu`, `ap-southeast-6` and the public-only
 * `mq-internet-access`; Australia (Sydney) `ap-southeast-2` is marked closed and left out. The Europe,
 * Americas and Middle East rows follow the page's `onsmqtt[-vpc].<regionId>.aliyuncs.com` pattern for
 * the regions the "Supported regions" page (30 July 2025) lists with instances and cloud SDK access.
 * @module
 */
import { _invalid } from '../errors.js';

/** One region's endpoints (host names, no scheme). */
export interface OnsMqttEndpoint {
  /** The Internet endpoint, e.g. `onsmqtt.cn-hangzhou.aliyuncs.com`. */
  readonly public: string;
  /** The VPC endpoint, e.g. `onsmqtt-vpc.cn-hangzhou.aliyuncs.com`; absent where the page lists none. */
  readonly vpc?: string;
}

const both = (region: string): OnsMqttEndpoint => Object.freeze({ public: `onsmqtt.${region}.aliyuncs.com`, vpc: `onsmqtt-vpc.${region}.aliyuncs.com` });

/** The `onsmqtt` endpoints by region id (see the module comment for the source). */
export const ONSMQTT_ENDPOINTS: Readonly<Record<string, OnsMqttEndpoint>> = Object.freeze({
  // Asia Pacific
  'cn-qingdao': both('cn-qingdao'),
  'cn-beijing': both('cn-beijing'),
  'cn-zhangjiakou': both('cn-zhangjiakou'),
  'cn-huhehaote': both('cn-huhehaote'),
  'cn-wulanchabu': both('cn-wulanchabu'),
  'cn-hangzhou': both('cn-hangzhou'),
  'cn-shanghai': both('cn-shanghai'),
  'cn-shenzhen': both('cn-shenzhen'),
  'cn-guangzhou': both('cn-guangzhou'),
  'cn-chengdu': both('cn-chengdu'),
  'cn-hongkong': both('cn-hongkong'),
  'ap-northeast-1': both('ap-northeast-1'),
  'ap-southeast-1': both('ap-southeast-1'),
  'ap-southeast-3': both('ap-southeast-3'),
  'ap-southeast-5': both('ap-southeast-5'),
  'ap-southeast-6': both('ap-southeast-6'),
  // The page's "Public network" row: one Internet endpoint for every region, no VPC endpoint.
  'mq-internet-access': Object.freeze({ public: 'onsmqtt.mq-internet-access.aliyuncs.com' }),
  // Europe & Americas, Middle East
  'eu-central-1': both('eu-central-1'),
  'us-west-1': both('us-west-1'),
  'us-east-1': both('us-east-1'),
  'me-central-1': both('me-central-1'),
});

/** Which of a region's endpoints to use. */
export type EndpointNetwork = 'public' | 'vpc';

/**
 * The endpoint URL (`https://<host>/`) of `regionId` on `network`.
 * @throws {@link ApsaraMqttAuthError} `ERR_INVALID_ARGUMENT` (field `regionId`) for a region the table does
 * not have, listing the known ones; (field `network`) for a region without a VPC endpoint.
 */
export function onsMqttEndpoint(regionId: unknown, network: EndpointNetwork = 'public'): string {
  const known = Object.keys(ONSMQTT_ENDPOINTS);
  if (typeof regionId !== 'string' || !Object.hasOwn(ONSMQTT_ENDPOINTS, regionId)) {
    const shown = typeof regionId === 'string' && /^[a-z0-9-]{1,40}$/.test(regionId) ? `"${regionId}" ` : '';
    throw _invalid('regionId', `${shown}is not a region of the onsmqtt OpenAPI; known regions: ${known.join(', ')} (or pass endpoint for another one)`);
  }
  const entry = ONSMQTT_ENDPOINTS[regionId]!;
  if (network !== 'public' && network !== 'vpc') throw _invalid('network', 'must be "public" or "vpc"');
  const host = network === 'vpc' ? entry.vpc : entry.public;
  if (host === undefined) throw _invalid('network', `"${regionId}" has no VPC endpoint; use network "public"`);
  return `https://${host}/`;
}
