#!/usr/bin/env python3
"""Fails when two files of src/ import each other, directly or round a loop.

Edges are `use` paths and `crate::`/`super::` paths in a file, resolved to the
file of the longest module prefix; re-exports (`pub use`) and `mod`
declarations are not edges (a parent declaring and re-exporting its children is
a facade, not a dependency). Run from the repository root.
"""
import os,re,sys
root='src'
files={}
for d,_,fs in os.walk(root):
    for f in fs:
        if f.endswith('.rs'):
            p=os.path.join(d,f); rel=p[len(root)+1:-3]
            parts=rel.split('/')
            if parts[-1]=='mod': parts=parts[:-1]
            if parts==['lib'] or parts==['main']: parts=[]
            files[tuple(parts)]=p
def resolve(path):
    # longest prefix that is a file module
    for n in range(len(path),-1,-1):
        if tuple(path[:n]) in files: return tuple(path[:n])
    return None
edges={}
for mod,p in files.items():
    src=open(p).read()
    src=re.sub(r'//.*','',src)
    # drop pub use lines (re-exports)
    src=re.sub(r'pub(\([^)]*\))?\s+use\s[^;]*;','',src,flags=re.S)
    # test modules: skip cfg(test) blocks roughly
    targets=set()
    is_modrs=p.endswith('mod.rs') or p.endswith('lib.rs')
    parent=list(mod) if is_modrs else list(mod[:-1])
    for m in re.finditer(r'\buse\s+([^;]*);',src,flags=re.S):
        body=m.group(1)
        # expand braces roughly: collect paths
        def expand(prefix,s):
            s=s.strip()
            out=[]
            mm=re.match(r'^([\w:]*?)\{(.*)\}$',s,flags=re.S)
            if mm:
                pre=mm.group(1)
                inner=mm.group(2)
                depth=0;cur='';items=[]
                for ch in inner:
                    if ch=='{':depth+=1
                    if ch=='}':depth-=1
                    if ch==',' and depth==0: items.append(cur);cur=''
                    else: cur+=ch
                items.append(cur)
                for it in items:
                    if it.strip(): out+=expand(prefix+pre,it)
            else:
                out.append(prefix+s.split(' as ')[0].strip())
            return out
        for path in expand('',body):
            targets.add(path)
    for m in re.finditer(r'\b((?:crate|super)(?:::\w+)+)',src):
        targets.add(m.group(1))
    for t in targets:
        segs=[x for x in t.split('::') if x]
        if not segs: continue
        if segs[0]=='crate': base=[]; segs=segs[1:]
        elif segs[0]=='super':
            base=list(parent)
            while segs and segs[0]=='super':
                base=base[:-1]; segs=segs[1:]
            if not is_modrs: pass
            base=base+[] 
            # first 'super' already consumed -> base is parent of mod... fix
        else: continue
        if t.startswith('super'):
            n=0
            s2=t.split('::')
            while s2 and s2[0]=='super': n+=1; s2=s2[1:]
            base=list(parent)
            for _ in range(n-1): base=base[:-1]
            segs=s2
        full=base+[x for x in segs if x not in ('self',)]
        r=resolve(full)
        if r is not None and r!=mod:
            edges.setdefault(mod,set()).add(r)
# find cycles via DFS (Tarjan)
index={};low={};st=[];on=set();res=[];i=[0]
sys.setrecursionlimit(10000)
def sc(v):
    index[v]=low[v]=i[0];i[0]+=1;st.append(v);on.add(v)
    for w in edges.get(v,()):
        if w not in index: sc(w);low[v]=min(low[v],low[w])
        elif w in on: low[v]=min(low[v],index[w])
    if low[v]==index[v]:
        comp=[]
        while True:
            w=st.pop();on.discard(w);comp.append(w)
            if w==v:break
        if len(comp)>1: res.append(comp)
for v in list(files):
    if v not in index: sc(v)
for c in res: print('import cycle between files of src/:', ', '.join(sorted('::'.join(x) or 'crate' for x in c)))
sys.exit(1 if res else 0)
