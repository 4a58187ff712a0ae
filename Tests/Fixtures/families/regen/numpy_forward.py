#!/usr/bin/env python3
# Independent float64 numpy forward pass for every tiny family (the prompt, last position),
# compared with llama.cpp's F32-KV-cache logits (FA off), which make_fixtures.py leaves in /tmp/_kv_f32.npy
# for the model it ran last (or pass KV32_DIR with <name>.logits-kvf32.npy files), and with ../<name>.logits.npy
# and ../<name>.logits.npy (F16 KV cache). Documents the math the fixtures encode.
# usage: python3 numpy_forward.py MODEL_DIR [NAME ...]   (needs numpy, gguf==0.19.0)
import sys, json, math, numpy as np, gguf
import os
FIX=os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODEL_DIR=sys.argv[1]
def load(path):
    r=gguf.GGUFReader(path); T={}
    for t in r.tensors: T[t.name]=np.array(t.data,dtype=np.float64).reshape([int(x) for x in reversed(t.shape)]) if len(t.shape)>1 else np.array(t.data,dtype=np.float64)
    KV={k:f.contents() for k,f in r.fields.items() if not k.startswith('tokenizer')}
    return T,KV
def rms(x,w,eps): return x/np.sqrt((x*x).mean(-1,keepdims=True)+eps)*w
def ln(x,w,b,eps):
    m=x.mean(-1,keepdims=True); v=((x-m)**2).mean(-1,keepdims=True); return (x-m)/np.sqrt(v+eps)*w+b
def gelu(x):  # ggml CPU GELU: tanh form evaluated on fp16(x), result rounded to fp16 (lookup table), |x|>=10 passthrough
    xf=x.astype(np.float16).astype(np.float64); y=(0.5*xf*(1+np.tanh(math.sqrt(2/math.pi)*xf*(1+0.044715*xf*xf)))).astype(np.float16).astype(np.float64)
    return np.where(x<=-10,0.0,np.where(x>=10,x,y))
def silu(x): return x/(1+np.exp(-x))
def rope(x,pos,base,neox,ff=None,mscale=1.0,n_rot=None):
    # x: [T, H, D]; only the first n_rot dims rotate (partial rotary), the rest pass through
    if n_rot is not None and n_rot<x.shape[-1]:
        return np.concatenate([rope(x[...,:n_rot],pos,base,neox,ff,mscale),x[...,n_rot:]],-1)
    D=x.shape[-1]; i=np.arange(D//2); th=base**(-2*i/D)
    if ff is not None: th=th/ff
    ang=pos[:,None]*th[None,:]; c=np.cos(ang)[:,None,:]*mscale; s=np.sin(ang)[:,None,:]*mscale
    y=x.copy()
    if neox: a,b=x[...,:D//2],x[...,D//2:]; y[...,:D//2]=a*c-b*s; y[...,D//2:]=a*s+b*c
    else: a,b=x[...,0::2],x[...,1::2]; y[...,0::2]=a*c-b*s; y[...,1::2]=a*s+b*c
    return y
def attn(q,k,v,scale,window=None,softcap=None):
    T,H,D=q.shape; KVH=k.shape[1]; g=H//KVH; out=np.zeros((T,H,v.shape[-1]))
    for h in range(H):
        s=(q[:,h,:]@k[:,h//g,:].T)*scale
        if softcap: s=np.tanh(s/softcap)*softcap
        i=np.arange(T)[:,None]; j=np.arange(T)[None,:]
        mask=j>i
        if window: mask|=(i-j)>=window
        s=np.where(mask,-np.inf,s); s=s-s.max(1,keepdims=True); p=np.exp(s); p/=p.sum(1,keepdims=True)
        out[:,h,:]=p@v[:,h//g,:]
    return out.reshape(T,-1)
def moe(x,T,i,nu,normw,E):
    lg=x@T[f'blk.{i}.ffn_gate_inp.weight'].T; p=np.exp(lg-lg.max(1,keepdims=True)); p/=p.sum(1,keepdims=True)
    out=np.zeros_like(x)
    for t in range(x.shape[0]):
        sel=np.argsort(-p[t])[:nu]; w=p[t,sel]
        if normw: w=w/w.sum()
        for e,we in zip(sel,w):
            g=T[f'blk.{i}.ffn_gate_exps.weight'][e]@x[t]; u=T[f'blk.{i}.ffn_up_exps.weight'][e]@x[t]
            out[t]+=we*(T[f'blk.{i}.ffn_down_exps.weight'][e]@(silu(g)*u))
    return out
def yarn(KV,a,D):
    # ggml YaRN (ext_factor 1) as llama.cpp 0c1e570 sets it up (n_rot = D): returns (ff, mscale, kq_mscale):
    # rope(..., ff=ff, mscale=mscale) is ggml's rope; deepseek2 only: kq_mscale**2/sqrt(key_length_mla) the attention scale
    g=lambda k,dflt=None: KV.get(f'{a}.{k}',dflt)
    base=g('rope.freq_base',10000.0); f=g('rope.scaling.factor'); n_orig=g('rope.scaling.original_context_length')
    if a=='deepseek2':
        bf,bs=32.0,1.0                                          # hparams defaults (deepseek2 does not read the beta keys)
        log_mul=g('rope.scaling.yarn_log_multiplier',0.0)/0.1   # llama.cpp divides the converter's 0.1 back out
    else:                                                       # mistral3 reads the beta keys and the multiplier as written
        bf=g('rope.scaling.yarn_beta_fast',32.0); bs=g('rope.scaling.yarn_beta_slow',1.0)
        log_mul=g('rope.scaling.yarn_log_multiplier',0.0)
    corr=lambda beta: D*math.log(n_orig/(beta*2*math.pi))/(2*math.log(base))
    lo=max(0.0,math.floor(corr(bf))); hi=min(D-1.0,math.ceil(corr(bs)))
    i=np.arange(D//2); ramp=1-np.clip((i-lo)/max(0.001,hi-lo),0,1)   # 1: extrapolate (theta), 0: interpolate (theta/f)
    th_ex=base**(-2*i/D); th=th_ex/f*(1-ramp)+th_ex*ramp
    gm=lambda s,m: 1.0 if s<=1 else 0.1*m*math.log(s)+1
    # llama_context: yarn_attn_factor = gm(f, mscale)/gm(f, log_mul) if log_mul != 0 else gm(f, 1), then / (1 + 0.1 ln f);
    # mscale = 1 except deepseek2 (mscale := mscale_all_dim = log_mul)
    if log_mul!=0: attn_factor=gm(f,log_mul if a=='deepseek2' else 1.0)/gm(f,log_mul)
    else: attn_factor=gm(f,1.0)
    attn_factor/=1+0.1*math.log(f)
    mscale=attn_factor*(1+0.1*math.log(f))                    # ggml rope_yarn multiplies cos/sin by this
    kq_mscale=mscale*(1+0.1*log_mul*math.log(f))              # deepseek2 graph: mscale = attn_factor_org * (1 + 0.1 log_mul ln f)
    return th_ex/th, mscale, kq_mscale
def forward(name):
    d=json.load(open(f'{FIX}/{name}.json')); T,KV=load(os.path.join(MODEL_DIR, d['file'])); a=d['arch']
    g=lambda k,dflt=None: KV.get(f'{a}.{k}',dflt)
    ids=np.array(d['prompt_ids']); n=len(ids); pos=np.arange(n,dtype=np.float64)
    E=g('embedding_length'); H=g('attention.head_count'); KVH=g('attention.head_count_kv'); L=g('block_count')
    hd=g('attention.key_length',E//H); base=g('rope.freq_base',10000.0); eps=g('attention.layer_norm_rms_epsilon',1e-5)
    x=T['token_embd.weight'][ids]
    if a in('gemma','gemma2','gemma3'): x=x*math.sqrt(E)
    if a=='granite': x=x*g('embedding_scale')
    neox=a not in('llama','granite','glm4','mistral3')
    n_rot=g('rope.dimension_count',hd)
    out_w=T.get('output.weight',T['token_embd.weight'])
    for i in range(L):
        P=lambda s: T[f'blk.{i}.{s}']
        if a=='deepseek2':
            # MLA (absorbed form, as llama.cpp runs it): K/V cache = RMSNorm(compressed kv) | roped k_pe, one head
            R=g('attention.kv_lora_rank'); dk=g('attention.key_length_mla'); dv=g('attention.value_length_mla'); nr=g('rope.dimension_count'); nope=dk-nr
            ff,ms,kqm=yarn(KV,a,nr)
            h=rms(x,P('attn_norm.weight'),eps)
            q=(h@P('attn_q.weight').T).reshape(n,H,dk); q_nope=q[...,:nope]; q_pe=rope(q[...,nope:],pos,base,False,ff,ms)
            kv=h@P('attn_kv_a_mqa.weight').T; c=rms(kv[:,:R],P('attn_kv_a_norm.weight'),eps); k_pe=rope(kv[:,None,R:],pos,base,False,ff,ms)
            q_abs=np.einsum('hrd,thd->thr',P('attn_k_b.weight'),q_nope)
            o=attn(np.concatenate([q_abs,q_pe],-1),np.concatenate([c[:,None,:],k_pe],-1),c[:,None,:],kqm*kqm/math.sqrt(dk)).reshape(n,H,R)
            o=np.einsum('hvr,thr->thv',P('attn_v_b.weight'),o).reshape(n,H*dv)
            x=x+o@P('attn_output.weight').T
            h=rms(x,P('ffn_norm.weight'),eps)
            if i<g('leading_dense_block_count',0):
                f=(silu(h@P('ffn_gate.weight').T)*(h@P('ffn_up.weight').T))@P('ffn_down.weight').T
            else:
                f=moe(h,T,i,g('expert_used_count'),bool(g('expert_weights_norm',False)),E)
                ws=g('expert_weights_scale',0.0)
                if ws not in(0.0,1.0): f=f*ws
                f=f+(silu(h@P('ffn_gate_shexp.weight').T)*(h@P('ffn_up_shexp.weight').T))@P('ffn_down_shexp.weight').T
            x=x+f; continue
        if a=='falcon':
            h=ln(x,P('attn_norm.weight'),P('attn_norm.bias'),g('attention.layer_norm_epsilon'))
        elif a=='olmo2': h=x
        else: h=rms(x,P('attn_norm.weight'),eps)
        if a in('phi3','falcon'):
            qkv=h@P('attn_qkv.weight').T; q=qkv[:,:H*hd]; k=qkv[:,H*hd:H*hd+KVH*hd]; v=qkv[:,H*hd+KVH*hd:]
        else:
            q=h@P('attn_q.weight').T; k=h@P('attn_k.weight').T; v=h@P('attn_v.weight').T
            if f'blk.{i}.attn_q.bias' in T: q+=P('attn_q.bias'); k+=P('attn_k.bias'); v+=P('attn_v.bias')
        if a=='olmo2': q=rms(q,P('attn_q_norm.weight'),eps); k=rms(k,P('attn_k_norm.weight'),eps)
        q=q.reshape(n,H,hd); k=k.reshape(n,KVH,hd); v=v.reshape(n,KVH,hd)
        if a in('qwen3','qwen3moe','gemma3'): q=rms(q,P('attn_q_norm.weight'),eps); k=rms(k,P('attn_k_norm.weight'),eps)
        ff=None; ms=1.0; b=base; window=None; cap=None
        if a=='llama' and 'rope_freqs.weight' in T: ff=T['rope_freqs.weight']
        if a=='phi3': ff=T['rope_factors_short.weight']; ms=g('rope.scaling.attn_factor')
        if a=='gemma3':
            swa=(i%6)<5; b=g('rope.freq_base_swa') if swa else base; window=g('attention.sliding_window') if swa else None
        if a=='gemma2':
            swa=(i%2)<1; window=g('attention.sliding_window') if swa else None; cap=g('attn_logit_softcapping')
        if a=='mistral3' and g('rope.scaling.type')=='yarn': ff,ms,_=yarn(KV,a,n_rot)
        q=rope(q,pos,b,neox,ff,ms,n_rot); k=rope(k,pos,b,neox,ff,ms,n_rot)
        if a=='mistral3' and g('attention.temperature_scale',0.0)!=0.0:
            # Llama-4 temperature tuning on Q after RoPE: 1 + beta*ln(floor(pos/n_ctx_orig_yarn) + 1)
            q=q*(1+g('attention.temperature_scale')*np.log(np.floor(pos/g('rope.scaling.original_context_length'))+1))[:,None,None]
        scale=1/math.sqrt(hd)
        if a=='granite': scale=g('attention.scale')
        o=attn(q,k,v,scale,window,cap)@P('attn_output.weight').T
        if f'blk.{i}.attn_output.bias' in T: o=o+P('attn_output.bias')
        if a=='falcon':
            f=gelu(h@P('ffn_up.weight').T)@P('ffn_down.weight').T; x=x+o+f; continue
        if a in('gemma2','gemma3','olmo2','glm4'): o=rms(o,P('post_attention_norm.weight'),eps)
        if a=='granite': o=o*g('residual_scale')
        x=x+o
        h=x if a=='olmo2' else rms(x,P('ffn_norm.weight'),eps)
        if a in('phi3','glm4'):
            gu=h@P('ffn_up.weight').T; F=gu.shape[1]//2; f=(silu(gu[:,:F])*gu[:,F:])@P('ffn_down.weight').T
        elif f'blk.{i}.ffn_gate_inp.weight' in T:
            f=moe(h,T,i,g('expert_used_count'),a!='qwen2moe',E)
            if a=='qwen2moe':
                gt=h@P('ffn_gate_inp_shexp.weight'); sh=(silu(h@P('ffn_gate_shexp.weight').T)*(h@P('ffn_up_shexp.weight').T))@P('ffn_down_shexp.weight').T
                f=f+sh*(1/(1+np.exp(-gt)))[:,None]
        else:
            act=gelu if a.startswith('gemma') else silu
            gb=P('ffn_gate.bias') if f'blk.{i}.ffn_gate.bias' in T else 0.0; ub=P('ffn_up.bias') if f'blk.{i}.ffn_up.bias' in T else 0.0
            f=(act(h@P('ffn_gate.weight').T+gb)*(h@P('ffn_up.weight').T+ub))@P('ffn_down.weight').T
            if f'blk.{i}.ffn_down.bias' in T: f=f+P('ffn_down.bias')
        if a in('gemma2','gemma3','olmo2','glm4'): f=rms(f,P('post_ffw_norm.weight'),eps)
        if a=='granite': f=f*g('residual_scale')
        x=x+f
    if a=='falcon': h=ln(x[-1],T['output_norm.weight'],T['output_norm.bias'],g('attention.layer_norm_epsilon'))
    else: h=rms(x[-1],T['output_norm.weight'],eps)
    lg=out_w@h
    if a=='granite': lg=lg/g('logit_scale')
    if g('final_logit_softcapping'): c=g('final_logit_softcapping'); lg=np.tanh(lg/c)*c
    kv32=os.path.join(os.environ.get('KV32_DIR','/tmp'),f"{name}.logits-kvf32.npy")
    ref16=np.load(f"{FIX}/{d['logits_npy']}"); ref=np.load(kv32) if os.path.exists(kv32) else ref16
    print(f"{name:11s} max|np-llama(kvf32)|={np.abs(lg-ref).max():.2e} vs kvf16 {np.abs(lg-ref16).max():.2e} argmax np={lg.argmax()} llama={ref.argmax()}")
for nm in (sys.argv[2:] or ['llama3rope','qwen3','gemma3','mixtral','qwen2moe','qwen3moe','gemma2','phi3','granite','olmo2','falcon','glm4','deepseek2','mistral3','gemma']): forward(nm)
