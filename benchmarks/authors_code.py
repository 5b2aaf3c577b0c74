"""Running the authors' released code (alamda/active-noise-SGM) beside ours, for comparison only.

Their code is non-commercial: it stays outside this repository (the benchmarks take its path as an
argument) and is run unmodified. `STAND_INS` is the Python text a launcher runs before importing
their modules: it installs stand-ins for modules their imports need but their toy training and
sampling never call, when those are not installed here (torchvision, tensorboard's SummaryWriter
as a no-op, scikit-learn, torchdiffeq, their CUDA-only `op` kernels), and lists them in STUBBED.
torchdiffeq gets a stand-in only when missing: their ODE sampler needs the real package.
THREAD_VARS are the variables that give their subprocess (and ours) one BLAS/OpenMP thread.
"""

THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")

STAND_INS = '''
import importlib.machinery, importlib.util, sys, types

def missing(name):
    try:
        return importlib.util.find_spec(name) is None
    except (ImportError, ValueError):
        return True

def stub(name, **attrs):
    mod = types.ModuleType(name)
    mod.__dict__.update(attrs)
    mod.__path__ = []
    mod.__spec__ = importlib.machinery.ModuleSpec(name, None, is_package=True)
    sys.modules[name] = mod
    parent, _, child = name.rpartition(".")
    if parent in sys.modules:
        setattr(sys.modules[parent], child, mod)
    STUBBED.append(name)

def unavailable(what):
    def fail(*args, **kwargs):
        raise RuntimeError(what + " is a stand-in in this benchmark")
    return fail

class NoWriter:
    def __init__(self, *args, **kwargs):
        pass

    def __getattr__(self, name):
        return lambda *args, **kwargs: None

STUBBED = []
if missing("torchvision"):
    stub("torchvision"); stub("torchvision.utils", make_grid=unavailable("make_grid"))
    stub("torchvision.transforms"); stub("torchvision.datasets")
if missing("tensorboard"):
    import torch.utils
    stub("torch.utils.tensorboard", SummaryWriter=NoWriter)
if missing("sklearn"):
    stub("sklearn"); stub("sklearn.datasets", make_swiss_roll=unavailable("make_swiss_roll"))
if missing("torchdiffeq"):
    stub("torchdiffeq", odeint=unavailable("odeint"))
stub("op", upfirdn2d=unavailable("op.upfirdn2d"), FusedLeakyReLU=unavailable("op.FusedLeakyReLU"),
     fused_leaky_relu=unavailable("op.fused_leaky_relu"))  # CUDA kernels built at import
'''
