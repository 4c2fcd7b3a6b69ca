/** Known answers for Alibaba's RPC-style OpenAPI signature, shared by the Node and browser suites. */

/** Alibaba's documented example (RPC signature, DescribeRegions). */
export const DOC_RPC_EXAMPLE = {
  secret: 'testsecret',
  params: {
    AccessKeyId: 'testid',
    Action: 'DescribeRegions',
    Format: 'XML',
    SignatureMethod: 'HMAC-SHA1',
    SignatureNonce: '3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf',
    SignatureVersion: '1.0',
    Timestamp: '2016-02-23T12:46:24Z',
    Version: '2014-05-26',
  },
  stringToSign:
    'GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions%26Format%3DXML%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf%26SignatureVersion%3D1.0%26Timestamp%3D2016-02-23T12%253A46%253A24Z%26Version%3D2014-05-26',
  signature: 'OLeaidS1JvxuMvnyHOwuJ+uX5qY=',
} as const;
