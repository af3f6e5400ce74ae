import { createRequire } from 'node:module';
const esbuild = createRequire(import.meta.url)('esbuild');
const r = esbuild.buildSync({ entryPoints: [process.argv[2]], bundle: true, platform: 'node', format: 'esm', target: 'node20', write: false, metafile: true, outdir: '/tmp/metaout', splitting: true,
  external: ['koffi','@resvg/resvg-js','esbuild','tsx','tsx/*','libsql','@fastify/swagger-ui','apache-arrow','bullmq','ioredis','@aws-sdk/*','parquet-wasm'], logLevel: 'silent' });
const inputs = r.metafile.inputs;
// static-only reachability from entry, record parent
const parent = new Map(); const q=[process.argv[2].replace(/^\.\//,'')]; parent.set(q[0], null);
while(q.length){const f=q.shift(); for(const i of inputs[f]?.imports??[]){ if(i.kind==='dynamic-import'||i.external) continue; if(!parent.has(i.path)){parent.set(i.path,f); q.push(i.path);} }}
let bytes=0; for(const f of parent.keys()) bytes+=inputs[f]?.bytes??0;
console.log('static files', parent.size, 'bytes', bytes);
const want = process.argv.slice(3);
for (const w of want){ const hit=[...parent.keys()].find(f=>f.includes(w)); if(!hit){console.log(w,': not reached');continue;} const chain=[]; for(let f=hit; f; f=parent.get(f)) chain.push(f); console.log(w,':', chain.reverse().filter(f=>!f.includes('node_modules')||f===hit).join(' -> ')); }
const agg=new Map(); for(const f of parent.keys()){const k=f.replace(/(node_modules\/(@[^/]+\/)?[^/]+|src\/[^/]+).*/,'$1'); agg.set(k,(agg.get(k)??0)+(inputs[f]?.bytes??0));}
console.log([...agg].sort((a,b)=>b[1]-a[1]).slice(0,25).map(([k,v])=>`${v} ${k}`).join('\n'));
