// prints the minified (a) bundle and its gzip size; with a transform argument, applies a regex to the code first
import { rollup } from 'rollup'; import nr from '@rollup/plugin-node-resolve'; import t from '@rollup/plugin-terser'; import { gzipSync } from 'node:zlib';
const entry = process.argv[2] ?? "export { signatureCredentials } from 'apsaramq-mqtt-auth'";
const b = await rollup({input:'\0e', external:['mqtt'], plugins:[{name:'v',resolveId:i=>i=='\0e'?i:i=='apsaramq-mqtt-auth'?process.cwd()+'/dist/index.js':null,load:i=>i=='\0e'?entry:null}, nr()]});
const {output}=await b.generate({format:'es',plugins:[t()]});
let code = output[0].code;
if (process.env.STRIP) code = code.replace(/`[^`]*`|"[^"]{12,}"|'[^']{12,}'/g, '""');
console.log(code.length, gzipSync(code,{level:9}).length);
if (process.env.SHOW) console.log(code);
