namespace GaLore.Planner.Models.Layout;

/// <summary>Which part of a causal LM a <see cref="LayoutPart"/> is.</summary>
public enum PartKind
{
    /// <summary>Token (and position) embeddings: token ids in, the residual stream out.</summary>
    Embedding,
    /// <summary>One decoder block: residual stream in and out; activation checkpointing wraps these.</summary>
    Block,
    /// <summary>Final norm, output projection and the loss.</summary>
    Head,
}

/// <summary>
/// What one part computes, as its <see cref="ModelFamily"/> describes it. Each family derives its own designs
/// (records of the shapes and switches its parts need); the planner's graphs and the TorchSharp model are both
/// built from them. Two equal designs compute the same thing on tensors of the same shapes, so the step compiler
/// simulates a run of identical consecutive blocks once.
/// </summary>
/// <param name="Kind">Which part this is.</param>
public abstract record PartDesign(PartKind Kind);
