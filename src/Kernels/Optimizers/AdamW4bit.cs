using GaLore.Kernels.Optimizers.Rules;
using TorchSharp.Modules;

namespace GaLore.Kernels.Optimizers;

/// <summary>
/// AdamW with torchao-style 4-bit block-wise moments (Li et al. 2023, arXiv 2309.01507; <c>torchao.optim.AdamW4bit</c>, Hugging
/// Face <c>adamw_torch_4bit</c>, which passes block_size 256): see <see cref="Rules.LowBitAdamWRule"/> for the states and the
/// step. The weight's dtype sets the unquantized moments' dtype.
/// </summary>
public sealed class AdamW4bit : ProjectedOptimizer<AdamWOptions>
{
    /// <summary>Creates the optimizer over one group.</summary>
    /// <param name="parameters">Parameters to optimize.</param>
    /// <param name="lr">Learning rate (default 1e-3; HF passes its own).</param>
    /// <param name="beta1">β1 (default 0.9, HF's adam_beta1).</param>
    /// <param name="beta2">β2 (default 0.999, HF's adam_beta2).</param>
    /// <param name="eps">ε (default 1e-8, HF's adam_epsilon).</param>
    /// <param name="weight_decay">Decoupled weight decay (default 0, HF's <c>weight_decay</c>; torchao's own default 0.01).</param>
    /// <param name="block_size">Elements per scale (default 256, what HF passes; torchao's own default is 128).</param>
    public AdamW4bit(IEnumerable<Parameter> parameters, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8,
        double weight_decay = 0, long block_size = 256)
        : base([GaLoreGroups.Regular<AdamWOptions>(AdamW.Loaded(parameters))], AdamW.DefaultOptions(lr, beta1, beta2, eps, weight_decay),
            new LowBitAdamWRule(block_size), allowProjection: false) { }
}
