using GaLore.Planner.Models;

namespace GaLore.Profiler.Tuning;

/// <summary>
/// The classic estimate of training compute: C ≈ 6 · N · D floating-point operations for N parameters and D tokens —
/// 2N per token for the forward matmuls and 4N for the backward (Kaplan et al. 2020, arXiv 2001.08361, §2.1, Table 1;
/// the approximation Chinchilla uses, Hoffmann et al. 2022, arXiv 2203.15556). Activation checkpointing runs every
/// block's forward a second time during backward: 8 · N · D (Chen et al. 2016, arXiv 1604.06174; Korthikanti et al.
/// 2022, arXiv 2205.05198, count four passes instead of three).
/// </summary>
/// <remarks>Left out, as in Kaplan et al.: the attention score and value products (2 · layers · seq · d per token in
/// forward, small next to 2N when d_model ≫ seq / 12), element-wise work (norms, activations, softmax) and the optimizer
/// step. The estimate is therefore a lower bound on the work of a step.</remarks>
public static class TrainingFlops
{
    /// <summary>Parameters that take part in matmuls: all of them except the input embedding table, which is a lookup
    /// (when embeddings are tied, the one matrix is also the lm_head matmul and counts). Kaplan et al. likewise count
    /// non-embedding parameters.</summary>
    public static long MatmulParameters(ModelConfig model)
    {
        long all = 0, embedding = 0;
        foreach (var t in ParameterTable.Build(model))
        {
            all += t.Elements;
            if (t.Kind == TensorKind.Embedding) embedding = t.Elements;
        }
        return model.TieWordEmbeddings ? all : all - embedding;
    }

    /// <summary>FLOPs per parameter per token: 6, or 8 with activation checkpointing.</summary>
    public static int PerParameterToken(bool checkpointing) => checkpointing ? 8 : 6;

    /// <summary>Training FLOPs of one step of <paramref name="tokens"/> tokens.</summary>
    public static double PerStep(ModelConfig model, long tokens, bool checkpointing)
    {
        if (tokens <= 0) throw new ArgumentOutOfRangeException(nameof(tokens), tokens, "tokens per step must be positive");
        return (double)PerParameterToken(checkpointing) * MatmulParameters(model) * tokens;
    }
}
