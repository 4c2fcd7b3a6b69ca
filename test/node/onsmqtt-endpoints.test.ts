/**
 * The `onsmqtt` endpoint table: `regionId` alone gives the region's documented endpoint (public by
 * default, VPC on request), an unknown region is a typed error listing the known ones, and `endpoint`
 * still overrides the table.
 */
import { describe, expect, it } from 'vitest';
import { ApsaraMqttAuthError, createOnsMqttClient, ONSMQTT_ENDPOINTS, onsMqttEndpoint } from '../../src/server/server-entry.js';
import { SECRET } from '../suites/api.js';

const base = { accessKeyId: 'LTAI5tRegions', accessKeySecret: SECRET, fetch: async () => Response.json({}) };

function refusal(run: () => unknown): ApsaraMqttAuthError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ApsaraMqttAuthError);
    return error as ApsaraMqttAuthError;
  }
  throw new Error('expected a refusal');
}

describe('onsmqtt endpoints by region', () => {
  it('regionId alone is enough: the public endpoint of the table', () => {
    expect(createOnsMqttClient({ ...base, regionId: 'cn-hangzhou' }).endpoint).toBe('https://onsmqtt.cn-hangzhou.aliyuncs.com/');
    expect(createOnsMqttClient({ ...base, regionId: 'ap-southeast-1' }).endpoint).toBe('https://onsmqtt.ap-southeast-1.aliyuncs.com/');
    expect(createOnsMqttClient({ ...base, regionId: 'mq-internet-access' }).endpoint).toBe('https://onsmqtt.mq-internet-access.aliyuncs.com/');
  });

  it('holds the regions added since 2024, each with a VPC endpoint', () => {
    for (const region of ['cn-wulanchabu', 'cn-guangzhou', 'cn-chengdu', 'ap-southeast-6']) {
      expect(ONSMQTT_ENDPOINTS[region], region).toEqual({ public: `onsmqtt.${region}.aliyuncs.com`, vpc: `onsmqtt-vpc.${region}.aliyuncs.com` });
    }
    // Sydney is marked closed on the page: not offered.
    expect(Object.hasOwn(ONSMQTT_ENDPOINTS, 'ap-southeast-2')).toBe(false);
  });

  it('network: "vpc" picks the VPC endpoint; a region without one says so', () => {
    expect(createOnsMqttClient({ ...base, regionId: 'cn-shanghai', network: 'vpc' }).endpoint).toBe('https://onsmqtt-vpc.cn-shanghai.aliyuncs.com/');
    expect(onsMqttEndpoint('eu-central-1', 'vpc')).toBe('https://onsmqtt-vpc.eu-central-1.aliyuncs.com/');
    expect(refusal(() => onsMqttEndpoint('mq-internet-access', 'vpc'))).toMatchObject({ code: 'ERR_INVALID_ARGUMENT', field: 'network' });
    expect(refusal(() => onsMqttEndpoint('cn-hangzhou', 'intranet' as never))).toMatchObject({ field: 'network' });
  });

  it('an unknown region is a typed error that lists the known ones', () => {
    const error = refusal(() => createOnsMqttClient({ ...base, regionId: 'cn-atlantis' }));
    expect(error).toMatchObject({ code: 'ERR_INVALID_ARGUMENT', field: 'regionId' });
    expect(error.message).toContain('"cn-atlantis"');
    for (const region of Object.keys(ONSMQTT_ENDPOINTS)) expect(error.message).toContain(region);
    // A value that does not read as a region id is not echoed (it may be a pasted secret).
    expect(refusal(() => onsMqttEndpoint(`${SECRET} `)).message).not.toContain(SECRET);
    expect(refusal(() => onsMqttEndpoint(undefined)).field).toBe('regionId');
  });

  it('endpoint overrides the table (a region it lacks, a local service)', () => {
    expect(createOnsMqttClient({ ...base, regionId: 'cn-atlantis', endpoint: 'https://onsmqtt.cn-atlantis.aliyuncs.com' }).endpoint).toBe('https://onsmqtt.cn-atlantis.aliyuncs.com/');
    expect(createOnsMqttClient({ ...base, endpoint: 'http://127.0.0.1:9/' }).endpoint).toBe('http://127.0.0.1:9/');
  });
});
