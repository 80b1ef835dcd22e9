using GaLore.Kernels.Native;
using GaLore.Kernels.Optimizers.Rules;
using GaLore.Kernels.Projection;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GaLore.Kernels.Optimizers;

/// <summary>
/// The one state/step structure behind all six optimizers. Per parameter and step:
/// <list type="number">
/// <item>GaLore groups, 2-D weights: refresh the projector when due (steps 0, T, 2T, …) and project, R = project(G)
/// (Zhao et al. 2024, arXiv 2403.03507, Alg. 2);</item>
/// <item>count the step, apply decoupled weight decay W ← W·(1 − lr·wd) (torch.optim.AdamW, bitsandbytes and
/// transformers.Adafactor do it before the update; galore_torch does it after for projected weights, an O(lr²·wd)
/// difference);</item>
/// <item>run the base rule on R (or G), whose update goes into W in place — projected back with <c>addmm_</c> under GaLore.</item>
/// </list>
/// Every temporary of a parameter's update lives in its own dispose scope, so only one parameter's transients
/// exist at a time. Parameters without a gradient are skipped. Layerwise training calls
/// <see cref="ProjectedOptimizer.UpdateParameter"/> with the gradient from backward instead of <c>step()</c>.
/// </summary>
/// <typeparam name="TOptions">The rule's hyperparameters.</typeparam>
public abstract class ProjectedOptimizer<TOptions> : ProjectedOptimizer where TOptions : OptimizerOptionsBase, new()
{
    readonly IUpdateRule<TOptions> rule;
    readonly bool allowProjection;
    readonly Dictionary<Tensor, (ParameterState State, TOptions Options)> owners = new(ReferenceEqualityComparer.Instance);
    long parameterCount;

    private protected ProjectedOptimizer(IEnumerable<ParamGroup<TOptions>> groups, TOptions defaults, IUpdateRule<TOptions> rule, bool allowProjection)
    {
        TorchNativeLoader.EnsureLoaded();
        this.rule = rule;
        this.allowProjection = allowProjection;
        defaults.FillFrom(defaults);
        defaults.Validate();
        if (defaults.galore is not null) throw new ArgumentException("GaLore settings belong to a parameter group, not to the defaults");
        _defaults = defaults;
        _parameter_groups = new List<ParamGroup>();
        foreach (var g in groups ?? throw new ArgumentNullException(nameof(groups))) add_param_group(g);
    }

    /// <summary>The defaults every group falls back to.</summary>
    public TOptions Defaults => (TOptions)_defaults;

    /// <summary>Adds a group: fills unset options from the defaults, validates them, and creates each parameter's state.</summary>
    public override void add_param_group(ParamGroup param_group)
    {
        ArgumentNullException.ThrowIfNull(param_group);
        param_group.Options ??= new TOptions();
        if (param_group.Options is not TOptions o) throw new ArgumentException($"{GetType().Name} needs {typeof(TOptions).Name} options, got {param_group.Options.GetType().Name}");
        o.FillFrom((TOptions)_defaults);
        o.Validate();
        if (o.galore is not null && !allowProjection)
            throw new ArgumentException($"{GetType().Name} does not project gradients; use its GaLore counterpart for GaLore groups");
        var parameters = param_group.Parameters?.ToList() ?? throw new ArgumentException("parameter group has no parameter list");
        foreach (var p in parameters)   // check everything before registering anything
        {
            if (owners.ContainsKey(p) || parameters.Count(q => ReferenceEquals(q, p)) > 1)
                throw new ArgumentException("a parameter appears in more than one group");
            if (o.galore is not null && p.dim() != 2)
                throw new ArgumentException($"GaLore projects 2-D weights only; got a {p.dim()}-D parameter [{string.Join(", ", p.shape)}]");
        }
        foreach (var p in parameters)
        {
            // APOLLO seeds each projector with the parameter's 1-based index over every group (apollo_torch.AdamW.__init__).
            long seed = ++parameterCount;
            var spec = o.galore is { } settings ? new ProjectorSpec(p.shape[0], p.shape[1], settings, o.refresh!, seed) : null;
            var state = new ParameterState(p, spec);
            _state[p.Handle] = state;
            owners[p] = (state, o);
        }
        param_group.Parameters = parameters;
        _parameter_groups.Add(param_group);
    }

    /// <summary>One optimization step over every parameter that has a gradient.</summary>
    public override Tensor step(Func<Tensor>? closure = null) => _step<ParamGroup>(group =>
    {
        var o = (TOptions)group.Options;
        foreach (var p in group.Parameters)
        {
            using var grad = p.grad;
            if (grad is null) continue;
            Update(p, grad, owners[p].State, o);
        }
    }, closure!)!;

    /// <inheritdoc/>
    public override void UpdateParameter(Tensor parameter, Tensor grad)
    {
        if (!owners.TryGetValue(parameter, out var entry)) throw new ArgumentException("the parameter is not managed by this optimizer", nameof(parameter));
        using var _ = no_grad();
        Update(parameter, grad, entry.State, entry.Options);
    }

    /// <inheritdoc/>
    public override ParameterState StateOf(Tensor parameter) =>
        owners.TryGetValue(parameter, out var entry) ? entry.State : throw new ArgumentException("the parameter is not managed by this optimizer", nameof(parameter));

    void Update(Tensor weight, Tensor grad, ParameterState state, TOptions o)
    {
        if (!grad.shape.SequenceEqual(weight.shape)) throw new ArgumentException($"gradient shape [{string.Join(", ", grad.shape)}] differs from the weight's");
        using var scope = NewDisposeScope();
        var computeType = rule.ComputeType(grad.dtype);
        UpdateSink sink;
        Tensor g = grad;
        if (state.Projection is not null)
        {
            var projector = state.EnsureProjector(computeType);
            projector.RefreshIfDue(grad, state.Step);
            g = projector.Project(grad);
            sink = SinkForProjected(projector, weight, grad, computeType);
        }
        else sink = new DirectSink(weight);
        state.Step++;
        double lr = rule.LearningRate(weight, o);
        double wd = o.weight_decay!.Value;
        if (wd != 0 && rule.DecoupledWeightDecay) weight.mul_(1 - lr * wd);
        using (sink)
        {
            rule.Apply(state, g, sink, o, lr);
            sink.Complete();
        }
        UpdateCount++;
    }

    /// <summary>Where a projected parameter's update goes: back through the projector (GaLore); APOLLO overrides it to scale
    /// the full gradient instead.</summary>
    private protected virtual UpdateSink SinkForProjected(GaLoreProjector projector, Tensor weight, Tensor grad, ScalarType computeType) =>
        new ProjectedSink(projector, weight, computeType);

    /// <summary>Disposes every parameter's state.</summary>
    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (!disposing) return;
        foreach (var (state, _) in owners.Values) state.Dispose();
    }
}

/// <summary>The non-generic face of <see cref="ProjectedOptimizer{TOptions}"/>, for code that drives any of them.</summary>
public abstract class ProjectedOptimizer : OptimizerHelper
{
    private protected ProjectedOptimizer() { }

    /// <summary>Per-parameter updates applied so far (one per parameter with a gradient per step).</summary>
    public long UpdateCount { get; private protected set; }

    /// <summary>Updates one managed parameter with the given gradient, as <c>step()</c> would (used by layerwise training).</summary>
    public abstract void UpdateParameter(Tensor parameter, Tensor grad);

    /// <summary>The state kept for a managed parameter.</summary>
    public abstract ParameterState StateOf(Tensor parameter);

    /// <summary>Zeroes the gradients, or frees them when <paramref name="set_to_none"/> (PyTorch's default since 2.0).</summary>
    public void zero_grad(bool set_to_none)
    {
        if (!set_to_none)
        {
            zero_grad();
            return;
        }
        foreach (var p in parameters()) p.grad = null;
    }
}
