using static TorchSharp.torch;

namespace GaLore.Kernels.Optimizers.Rules;

/// <summary>
/// A base optimizer's update rule, the strategy plugged into <see cref="ProjectedOptimizer{TOptions}"/>. The
/// optimizer owns the parameter loop, projection, weight decay and state bookkeeping; the rule only turns a
/// (possibly projected) gradient into moments and an update, which it hands to an <see cref="UpdateSink"/>.
/// </summary>
internal interface IUpdateRule<in TOptions> where TOptions : OptimizerOptionsBase
{
    /// <summary>dtype of the rule's arithmetic and of the projector (StateLayout's "optimizer dtype").</summary>
    ScalarType ComputeType(ScalarType gradType);

    /// <summary>The learning rate of this step (also scales the decoupled weight decay).</summary>
    double LearningRate(Tensor weight, TOptions options) => options.LearningRate!.Value;

    /// <summary>Whether the optimizer applies decoupled weight decay W ← W·(1 − lr·wd) before the rule (AdamW-style); rules
    /// whose reference adds wd·W to the gradient instead (torch's SGD, Adagrad, RMSprop; schedule-free) do it themselves.</summary>
    bool DecoupledWeightDecay => true;

    /// <summary>
    /// One update. <paramref name="grad"/> has the sink's shape (R under GaLore); <c>state.Step</c> already counts
    /// this update (1 on the first). State tensors are created on first use through <c>state.GetOrCreate</c>.
    /// </summary>
    void Apply(ParameterState state, Tensor grad, UpdateSink sink, TOptions options, double lr);
}
