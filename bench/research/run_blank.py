"""The CTC fusion blank `tiny-audio train` now sets (training.calibrated_fusion_blank) for runs trained
before it did, calibrated on /work/data/val's cache as with --eval-data; RUN:SCALE sets the fusion scale
first (a run made with another LLM, e.g. Gemma's 0.108).
Usage: python run_blank.py RUN[:SCALE] [RUN[:SCALE]...]"""
import sys, transformers
transformers.logging.set_verbosity_error(); transformers.logging.disable_progress_bar()
from tiny_audio import ASRModel
from tiny_audio.data.features import FeatureCache
from tiny_audio.training import calibrated_fusion_blank
for spec in sys.argv[1:]:
    run, *scale = spec.split(":")
    model = ASRModel.from_pretrained(run)
    if scale:
        model.config.ctc_fusion_scale = float(scale[0])
    suffix = f"-pad{model.config.encoder_padding_seconds:g}s"
    cache = FeatureCache(f"/work/data/val/features-{model.config.audio_model_id.replace('/', '--')}{suffix}")
    print(f"{run}: blank {calibrated_fusion_blank(model, cache)} at scale {model.config.ctc_fusion_scale:g} "
          f"(its config: {model.config.ctc_fusion_blank})", flush=True)
