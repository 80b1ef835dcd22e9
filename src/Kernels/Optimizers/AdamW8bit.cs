using GaLore.Kernels.Optimizers.Rules;
using TorchSharp.Modules;

namespace GaLore.Kernels.Optimizers;

/// <summary>
/// 8-bit AdamW (Dettmers et al. 2022, arXiv 2110.02861; bitsandbytes <c>AdamW8bit</c>, Hugging Face
/// <c>adamw_8bit</c> / <c>adamw_bnb_8bit</c>): block-wise quantized moments (uint8 <c>state1</c>/<c>state2</c> plus a
/// float32 absmax per 256 elements; float32 states under 4096 elements and for the parameters given as
/// <c>float32States</c> — Hugging Face's Trainer registers every <c>nn.Embedding</c> weight for 32-bit states), updated chunk
/// by chunk (<see cref="Rules.AdamW8bitRule"/>). No projection: see <see cref="GaLoreAdamW8bit"/>.
/// </summary>
public sealed class AdamW8bit : ProjectedOptimizer<AdamWOptions>
{
    /// <summary>Creates the optimizer over one group.</summary>
    /// <param name="parameters">Parameters to optimize.</param>
    /// <param name="lr">Learning rate (default 1e-3, bitsandbytes'; HF passes its own).</param>
    /// <param name="beta1">β1 (default 0.9).</param>
    /// <param name="beta2">β2 (default 0.999).</param>
    /// <param name="eps">ε (default 1e-8, HF <c>adam_epsilon</c> and bitsandbytes' default).</param>
    /// <param name="weight_decay">Decoupled weight decay (default 0, what HF passes; bitsandbytes' own default is 0.01).</param>
    /// <param name="float32States">Parameters (among <paramref name="parameters"/>) whose states stay float32 (HF: embeddings).</param>
    public AdamW8bit(IEnumerable<Parameter> parameters, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double weight_decay = 0,
        IEnumerable<Parameter>? float32States = null)
        : this(Groups(AdamW.Loaded(parameters), float32States), lr, beta1, beta2, eps, weight_decay) { }

    /// <summary>Creates the optimizer over parameter groups.</summary>
    /// <param name="groups">Parameter groups (options left null take the defaults).</param>
    /// <param name="lr">Learning rate (default 1e-3, bitsandbytes'; HF passes its own).</param>
    /// <param name="beta1">β1 (default 0.9).</param>
    /// <param name="beta2">β2 (default 0.999).</param>
    /// <param name="eps">ε (default 1e-8, HF <c>adam_epsilon</c> and bitsandbytes' default).</param>
    /// <param name="weight_decay">Decoupled weight decay (default 0, what HF passes; bitsandbytes' own default is 0.01).</param>
    public AdamW8bit(IEnumerable<ParamGroup<AdamWOptions>> groups, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double weight_decay = 0)
        : base(groups, AdamW.DefaultOptions(lr, beta1, beta2, eps, weight_decay), AdamW8bitRule.Instance, allowProjection: false) { }

    static IEnumerable<ParamGroup<AdamWOptions>> Groups(IEnumerable<Parameter> parameters, IEnumerable<Parameter>? float32States)
    {
        var wide = new HashSet<Parameter>(float32States ?? [], ReferenceEqualityComparer.Instance);
        var all = parameters.ToList();
        var eight = all.Where(p => !wide.Contains(p)).ToList();
        var thirtyTwo = all.Where(wide.Contains).ToList();
        if (eight.Count > 0 || thirtyTwo.Count == 0) yield return GaLoreGroups.Regular<AdamWOptions>(eight);
        if (thirtyTwo.Count > 0) yield return new ParamGroup<AdamWOptions>(thirtyTwo, new AdamWOptions { optim_bits = 32 });
    }
}
