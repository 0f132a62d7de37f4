from lib import *
from tiny_audio.data.synth import read_manifest
m = load_model()
for name in [n for n in sys.argv[1:] if n != "librivox"]:
    d = f"/work/data/{name}"
    recs = read_manifest(d)
    t = time.time()
    FeatureCache.build(m, [(f"{d}/{r['path']}", r["text"]) for r in recs], f"{d}/features-pad5s")
    print(name, len(recs), "clips", round(time.time() - t), "s", flush=True)
if "librivox" in sys.argv[1:] or True:
    from tiny_audio.evaluation import librivox_items
    lv = librivox_items()
    if not os.path.exists("/work/data/librivox-features-pad5s"):
        FeatureCache.build(m, [(a, t) for _, a, t in lv], "/work/data/librivox-features-pad5s")
