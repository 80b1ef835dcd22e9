using GaLore.Kernels.Projection;
using GaLore.Planner.Optimizers;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GaLore.Kernels.Optimizers;

/// <summary>
/// Everything one parameter keeps between steps: the step counter (a C# number, not a tensor), the GaLore
/// projector when the parameter is projected, and the base optimizer's named state tensors. The tensors are
/// created at the parameter's first update (as PyTorch optimizers do) and are exactly
/// <see cref="StateLayout.Describe"/> (runtime torchsharp)'s list: <see cref="Tensors"/> reports them in that order.
/// </summary>
public sealed class ParameterState : OptimizerState, IDisposable
{
    readonly List<(string Name, Tensor Tensor)> tensors = new(4);

    internal ParameterState(Parameter parameter, ProjectorSpec? projection) : base(parameter)
    {
        Projection = projection;
    }

    /// <summary>Updates applied so far (the reference's <c>state["step"]</c>).</summary>
    public long Step { get; internal set; }

    /// <summary>How this parameter is projected, or null when the base optimizer sees its full gradient.</summary>
    internal ProjectorSpec? Projection { get; }

    /// <summary>The projector, once the first update created it.</summary>
    public GaLoreProjector? Projector { get; private set; }

    /// <summary>State tensors as (name, tensor): "projector" first when present, then the base optimizer's.
    /// The tensors belong to this state; do not dispose them.</summary>
    public IReadOnlyList<(string Name, Tensor Tensor)> Tensors =>
        Projector?.State is { } p ? [("projector", p), .. tensors] : tensors;

    /// <summary>Bytes held by <see cref="Tensors"/> (Σ numel · element size).</summary>
    public long Bytes => Tensors.Sum(t => t.Tensor.numel() * t.Tensor.ElementSize);

    /// <summary>Returns the projector, creating it (empty) on first use.</summary>
    internal GaLoreProjector EnsureProjector(ScalarType dtype)
    {
        if (Projection is not { } spec) throw new InvalidOperationException("this parameter is not projected");
        return Projector ??= new GaLoreProjector(spec.Rows, spec.Cols, spec.Settings, dtype, spec.Refresh, spec.Seed);
    }

    /// <summary>The parameter this state belongs to.</summary>
    internal Tensor Parameter => _parameter;

    /// <summary>Per-parameter numbers a rule keeps between steps that are not tensors (schedule-free's weight sum and
    /// largest lr; the reference keeps them in the parameter group).</summary>
    internal Dictionary<string, double> Scalars { get; } = new(StringComparer.Ordinal);

    /// <summary>The named state tensor, or null before it exists.</summary>
    internal Tensor? Find(string name)
    {
        foreach (var (n, t) in tensors)
            if (n == name) return t;
        return null;
    }

    /// <summary>The named state tensor, created by <paramref name="create"/> (and detached from any dispose scope) on first use.</summary>
    internal Tensor GetOrCreate(string name, Func<Tensor> create)
    {
        foreach (var (n, t) in tensors)
            if (n == name) return t;
        var fresh = create().DetachFromDisposeScope();
        tensors.Add((name, fresh));
        return fresh;
    }

    /// <inheritdoc/>
    public override void Initialize(OptimizerOptions options) => Clear();

    void Clear()
    {
        foreach (var (_, t) in tensors) t.Dispose();
        tensors.Clear();
        Projector?.Dispose();
        Projector = null;
        Step = 0;
        Scalars.Clear();
    }

    /// <inheritdoc/>
    public override void SaveStateDict(BinaryWriter writer)
    {
        writer.Write(Step);
        writer.Write(Projector?.State is not null);
        if (Projector?.State is { } p) p.Save(writer);
        writer.Write(tensors.Count);
        foreach (var (name, t) in tensors)
        {
            writer.Write(name);
            t.Save(writer);
        }
        writer.Write(Scalars.Count);
        foreach (var (name, v) in Scalars)
        {
            writer.Write(name);
            writer.Write(v);
        }
    }

    /// <inheritdoc/>
    public override void LoadStateDict(BinaryReader reader)
    {
        Clear();
        Step = reader.ReadInt64();
        if (reader.ReadBoolean())
        {
            var buffer = TensorExtensionMethods.Load(reader).to(_parameter.device, disposeAfter: true).DetachFromDisposeScope();
            EnsureProjector(buffer.dtype).Adopt(buffer);
        }
        int count = reader.ReadInt32();
        for (int i = 0; i < count; i++)
        {
            string name = reader.ReadString();
            tensors.Add((name, TensorExtensionMethods.Load(reader).to(_parameter.device, disposeAfter: true).DetachFromDisposeScope()));
        }
        int scalars = reader.ReadInt32();
        for (int i = 0; i < scalars; i++) Scalars[reader.ReadString()] = reader.ReadDouble();
    }

    /// <inheritdoc/>
    public override void LoadStateDict(OptimizerState source)
    {
        var s = (ParameterState)source;
        if (ReferenceEquals(s, this)) return;
        Clear();
        Step = s.Step;
        if (s.Projector?.State is { } p)
            EnsureProjector(p.dtype).Adopt(p.to(_parameter.device, copy: true).DetachFromDisposeScope());
        foreach (var (name, t) in s.tensors) tensors.Add((name, t.to(_parameter.device, copy: true).DetachFromDisposeScope()));
        foreach (var (name, v) in s.Scalars) Scalars[name] = v;
    }

    /// <inheritdoc/>
    public override bool ApproximatelyEquals(OptimizerState other)
    {
        if (other is not ParameterState s || s.Step != Step) return false;
        using var scope = NewDisposeScope();
        var a = Tensors;
        var b = s.Tensors;
        return a.Count == b.Count && a.Zip(b).All(x => x.First.Name == x.Second.Name && x.First.Tensor.dtype == x.Second.Tensor.dtype
            && x.First.Tensor.to(ScalarType.Float32).allclose(x.Second.Tensor.to(ScalarType.Float32)));
    }

    /// <inheritdoc/>
    public override void to(Device device)
    {
        for (int i = 0; i < tensors.Count; i++)
            tensors[i] = (tensors[i].Name, tensors[i].Tensor.to(device, disposeAfter: true).DetachFromDisposeScope());
        if (Projector?.State is { } p) Projector.Adopt(p.to(device, copy: true).DetachFromDisposeScope());
    }

    /// <summary>Disposes every state tensor and the projector.</summary>
    public void Dispose() => Clear();
}

/// <summary>What a projected parameter's projector is built from.</summary>
/// <param name="Rows">Weight rows.</param>
/// <param name="Cols">Weight columns.</param>
/// <param name="Settings">GaLore's knobs of the parameter's group.</param>
/// <param name="Refresh">How the projector refreshes.</param>
/// <param name="Seed">The first seed of a Gaussian (APOLLO) projector: the parameter's 1-based index in its optimizer.</param>
internal sealed record ProjectorSpec(long Rows, long Cols, GaLoreSettings Settings, SubspaceRefresh Refresh, long Seed = 0);
