using GaLore.Planner.Models.Layout;
using static TorchSharp.torch;

namespace GaLore.Profiler.Model.Parts;

/// <summary>
/// One part of a <see cref="CausalLm"/> in TorchSharp: the twin of a planner <see cref="LayoutPart"/>, computing what
/// the part's op graph says it computes and allocating, saving and freeing tensors in the same order. Parts hold the
/// model's parameters by role; the model owns them.
/// </summary>
public abstract class ModelPart
{
    /// <summary>The layout part this computes.</summary>
    public abstract LayoutPart Layout { get; }
}

/// <summary>Token ids (B, T) in, the residual stream (B, T, h) out.</summary>
public abstract class EmbeddingPart : ModelPart
{
    /// <summary>Tables every block reads in one forward (rotary cos/sin, an attention mask), created before the
    /// embedding runs and disposed after the loss.</summary>
    internal abstract ForwardTables Tables(long batch, long seq, ModelDTypes types, ModelOptions options, Device device);

    /// <summary>ids (B, T) int64 → (B, T, h) in the residual dtype. Returns a new tensor in the caller's dispose scope.</summary>
    internal abstract Tensor Forward(Tensor ids, ForwardContext ctx);
}

/// <summary>One decoder block: residual stream in and out. Activation checkpointing wraps these.</summary>
public abstract class BlockPart : ModelPart
{
    /// <summary>(B, T, h) → (B, T, h) in the residual dtype; a new tensor in the caller's dispose scope.</summary>
    internal abstract Tensor Forward(Tensor x, ForwardContext ctx);
}

/// <summary>Final norm, output projection and the loss.</summary>
public abstract class HeadPart : ModelPart
{
    /// <summary>Mean next-token cross-entropy of the last block's output against targets (−100 = ignored);
    /// a float32 scalar in the caller's dispose scope.</summary>
    internal abstract Tensor Loss(Tensor hidden, Tensor targets, ForwardContext ctx);
}
