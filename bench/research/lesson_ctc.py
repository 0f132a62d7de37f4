# Feasibility: a CTC run on N clips for S steps in the lesson: does a held-out clip's readout show words?
from lib import *
from tiny_audio.ctc import CTCHead, ctc_token_ids
from tiny_audio.training import make_batch
N, S, bs = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
m = load_model()
tr = FeatureCache("/work/data/train6k/features-pad5s"); va = FeatureCache("/work/data/val/features-pad5s")
lv = FeatureCache("/work/data/librivox-features-pad5s")
head = CTCHead.for_transcripts(m.text_decoder.get_input_embeddings().weight, m.tokenizer, [tr.items[i]["text"] for i in range(N)])
params = [*m.audio_projector.parameters(), *head.parameters()]
opt = torch.optim.AdamW(params, lr=float(sys.argv[4]))
t0 = time.time()
for step in range(S):
    idx = [(step * bs + j) % N for j in range(bs)]
    b = make_batch([tr[i] for i in idx], m.tokenizer, m.config.prompt, 5)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = m(**b.model_inputs("ctc"), ctc_head=head)
    out.loss.backward(); opt.step(); opt.zero_grad()
    if (step + 1) % 25 == 0:
        with torch.no_grad():
            x, n, texts = frames_batch(lv, [1])
            r = head.greedy_readout(m.audio_projector(x), n)
            x2, n2, t2 = frames_batch(va, [0])
            r2 = head.greedy_readout(m.audio_projector(x2), n2)
        print(step + 1, round(out.loss.item(), 2), round(time.time() - t0), repr(m.tokenizer.decode(r[0])), "|", repr(m.tokenizer.decode(r2[0])), flush=True)
print(texts, t2)
