using GaLore.Kernels.Optimizers;
using GaLore.Kernels.Projection;
using GaLore.Planner.Optimizers;
using GaLore.Planner.Optimizers.Families;
using Parameter = TorchSharp.Modules.Parameter;

namespace GaLore.Kernels.Factory;

/// <summary>The parameters Hugging Face's Trainer hands one optimizer, split as it splits them.</summary>
/// <param name="Regular">Parameters the base optimizer updates.</param>
/// <param name="Projected">Target weights GaLore or APOLLO projects (empty for names without projection).</param>
/// <param name="Embeddings">The <c>nn.Embedding</c> weights among them (bitsandbytes' 8-bit names keep 32-bit states for these).</param>
public sealed record KernelGroups(List<Parameter> Regular, List<Parameter> Projected, IReadOnlyList<Parameter> Embeddings);

/// <summary>Builds one optimizer over HF's groups.</summary>
public delegate ProjectedOptimizer KernelBuilder(OptimizerSetup setup, KernelGroups groups, double learningRate, SubspaceRefresh? refresh);

/// <summary>
/// The TorchSharp kernel of each planner <see cref="OptimizerModel"/> that has one, keyed by its <see cref="OptimizerModel.Id"/>
/// (and exactly the families whose <see cref="OptimizerModel.HasTorchSharpKernel"/> is true; a test keeps the two in step). A
/// family without a kernel is refused with its name, never replaced by another. Each builder passes what Hugging Face's
/// handler passes (the learning rate; betas and ε where HF merges its adam kwargs; the <c>optim_args</c> knobs it reads);
/// every other hyperparameter is the class's default (see each class).
/// </summary>
public static class KernelCatalog
{
    static readonly Dictionary<string, KernelBuilder> Builders = new(StringComparer.Ordinal)
    {
        ["adamw"] = (setup, g, lr, refresh) =>
            !setup.Spec.GaLore ? new Optimizers.AdamW(g.Regular, lr) : new GaLoreAdamW(g.Regular, g.Projected, setup.GaLore, lr, refresh: refresh),
        // torch's fused AdamW computes what the foreach one does; this project's AdamW kernel is per parameter either way.
        ["adamw_torch_fused"] = (setup, g, lr, refresh) => new Optimizers.AdamW(g.Regular, lr),
        ["adamw_8bit"] = (setup, g, lr, refresh) =>
            !setup.Spec.GaLore
                ? new AdamW8bit(g.Regular, lr, float32States: g.Embeddings)
                : new GaLoreAdamW8bit(g.Regular, g.Projected, setup.GaLore, lr, refresh: refresh),
        ["adafactor"] = (setup, g, lr, refresh) =>
        {
            double? beta1 = setup.Knobs.Number(AdafactorModel.Beta1);
            return !setup.Spec.GaLore
                ? new Adafactor(g.Regular, lr, beta1: beta1)
                : new GaLoreAdafactor(g.Regular, g.Projected, setup.GaLore, lr, beta1: beta1, refresh: refresh);
        },
        ["sgd"] = (setup, g, lr, refresh) => new Sgd(g.Regular, lr, setup.Knobs.Number(SgdModel.Momentum)!.Value,
            setup.Knobs.Number(SgdModel.Dampening)!.Value, setup.Knobs.Text(SgdModel.Nesterov) == "true"),
        ["adagrad"] = (setup, g, lr, refresh) => new Adagrad(g.Regular, lr, setup.Knobs.Number(AdagradModel.LrDecay)!.Value,
            setup.Knobs.Number(AdagradModel.InitialAccumulator)!.Value, setup.Knobs.Number(AdagradModel.Eps)!.Value),
        ["rmsprop"] = (setup, g, lr, refresh) => new Rmsprop(g.Regular, lr, setup.Knobs.Number(RmspropModel.Alpha)!.Value,
            setup.Knobs.Number(RmspropModel.Eps)!.Value, setup.Knobs.Number(RmspropModel.Momentum)!.Value, setup.Knobs.Text(RmspropModel.Centered) == "true"),
        // HF's bitsandbytes handler: Lion gets betas = (adam_beta1, adam_beta2) = (0.9, 0.999).
        ["lion_32bit"] = (setup, g, lr, refresh) => new Lion(g.Regular, lr, 0.9, 0.999),
        ["ademamix"] = (setup, g, lr, refresh) =>
        {
            double K(int i) => setup.Knobs.Number(BitsAndBytesModel.AdEMAMixKnobs[i])!.Value;
            long? T(int i) => setup.Knobs.Number(BitsAndBytesModel.AdEMAMixKnobs[i]) is { } v ? (long)v : null;
            return new AdEMAMix(g.Regular, lr, K(0), K(1), K(2), K(3), K(4), T(5), T(6));
        },
        // HF's schedule-free handler: adam betas and ε, warmup_steps = args.warmup_steps (0), r and weight_lr_power.
        ["schedule_free_adamw"] = (setup, g, lr, refresh) => new ScheduleFreeAdamW(g.Regular, lr, 0.9, 0.999, 1e-8, 0,
            setup.Knobs.Number(ScheduleFreeModel.R)!.Value, setup.Knobs.Number(ScheduleFreeModel.WeightLrPower)!.Value),
        // LOMO's update is SGD (p −= lr·g); the layerwise tap runs it inside backward.
        ["lomo"] = (setup, g, lr, refresh) => new Sgd(g.Regular, lr),
        ["adamw_torch_4bit"] = (setup, g, lr, refresh) => new AdamW4bit(g.Regular, lr, block_size: TorchAoAdamWModel.BlockOf(setup)),
        ["apollo_adamw"] = (setup, g, lr, refresh) => new ApolloAdamW(g.Regular, g.Projected, setup.GaLore, lr,
            tensorScaling: !ApolloModel.ChannelWise(setup),
            refresh: setup.Spec.Model.RefreshKind(setup) == ProjectionRefresh.Svd ? refresh ?? SubspaceRefresh.Svd : SubspaceRefresh.Gaussian),
    };

    /// <summary>The family ids that have a kernel.</summary>
    public static IReadOnlyCollection<string> Ids => Builders.Keys;

    /// <summary>Whether the family has a kernel here.</summary>
    public static bool Has(OptimizerModel model) => Builders.ContainsKey(model.Id);

    /// <summary>The builder of a family; throws <see cref="NotSupportedException"/> naming it when there is none.</summary>
    public static KernelBuilder BuilderOf(OptimizerModel model) =>
        Builders.TryGetValue(model.Id, out var b)
            ? b
            : throw new NotSupportedException($"optimizer family '{model.Id}' ({model.Library}) has no TorchSharp kernel in this project: it can be planned, not profiled");
}
