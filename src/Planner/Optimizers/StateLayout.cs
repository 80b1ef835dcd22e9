using GaLore.Planner.Memory;
using GaLore.Planner.Models;

namespace GaLore.Planner.Optimizers;

/// <summary>
/// The optimizer state each parameter keeps between steps: tensor by tensor, with the dtypes the
/// reference implementations use. This project's TorchSharp optimizers keep exactly these tensors
/// (tests compare their bytes with <see cref="Bytes"/>).
/// <list type="bullet">
/// <item>AdamW (<c>torch.optim.AdamW</c>, <c>galore_torch.AdamW</c>): <c>exp_avg</c>, <c>exp_avg_sq</c>,
/// zeros-like the (projected) gradient, so in the gradient's dtype.</item>
/// <item>8-bit AdamW (bitsandbytes <c>Optimizer2State</c>, block-wise, Dettmers et al. 2022, arXiv 2110.02861 §2):
/// uint8 <c>state1</c>/<c>state2</c> plus one float32 <c>absmax</c> per block of
/// <see cref="QuantizationBlockSize"/> per state; tensors under <see cref="Min8BitElements"/> elements keep float32 states.</item>
/// <item>Adafactor (Shazeer &amp; Stern 2018, arXiv 1804.04235 §3; <c>transformers.Adafactor</c>): the gradient is
/// upcast to float32 first, so states are float32; ≥2-D tensors keep a row and a column vector,
/// 1-D ones a full <c>exp_avg_sq</c>; <c>exp_avg</c> only when β1 is set.</item>
/// <item>GaLore (Zhao et al. 2024, arXiv 2403.03507, Alg. 2): the above for the projected gradient's shape, plus the
/// projector matrix (<c>galore_torch.GaLoreProjector.ortho_matrix</c>) in the dtype the base optimizer sees.</item>
/// </list>
/// </summary>
public static class StateLayout
{
    /// <summary>bitsandbytes' block size for block-wise quantization since 0.44.</summary>
    public const int QuantizationBlockSize = 256;

    /// <summary>bitsandbytes' <c>min_8bit_size</c>: smaller tensors keep 32-bit states.</summary>
    public const int Min8BitElements = 4096;

    /// <summary>Lists the state tensors of one parameter.</summary>
    public static IReadOnlyList<StateTensor> Describe(ParameterTensor p, bool galore, OptimizerSetup setup, Precision precision)
    {
        var list = new List<StateTensor>(5);
        var v = new ListVisitor(list);
        Visit(p, galore, setup, precision, ref v);
        return list;
    }

    /// <summary>Total state bytes of one parameter (same tensors as <see cref="Describe"/>, no allocation).</summary>
    public static long Bytes(ParameterTensor p, bool galore, OptimizerSetup setup, Precision precision,
        AllocationRounding rounding = AllocationRounding.None)
    {
        var v = new SumVisitor { Rounding = rounding };
        Visit(p, galore, setup, precision, ref v);
        return v.Total;
    }

    /// <summary>The dtype in which the base optimizer sees the gradient (and keeps AdamW moments).</summary>
    public static DType OptimizerDType(BaseOptimizer b, Precision precision) =>
        b == BaseOptimizer.Adafactor ? DType.Float32 : DTypes.FloatOfBytes(precision.GradientBytes);

    static void Visit<TV>(ParameterTensor p, bool galore, OptimizerSetup setup, Precision precision, ref TV v)
        where TV : struct, IStateVisitor
    {
        var baseOpt = setup.Spec.Base;
        var seen = OptimizerDType(baseOpt, precision);
        long rows = p.Rows, cols = p.Cols;
        bool matrix = p.IsMatrix;
        if (galore)
        {
            var g = ProjectionGeometry.For(p.Rows, p.Cols, setup.GaLore.Rank, setup.GaLore.ProjType);
            v.Add(new StateTensor("projector", g.ProjectorElements, seen));
            rows = g.LowRankRows;
            cols = g.LowRankCols;
        }
        long n = rows * cols;
        switch (baseOpt)
        {
            case BaseOptimizer.AdamW:
                v.Add(new StateTensor("exp_avg", n, seen));
                v.Add(new StateTensor("exp_avg_sq", n, seen));
                break;
            case BaseOptimizer.AdamW8bit when n >= Min8BitElements:
                long blocks = (n + QuantizationBlockSize - 1) / QuantizationBlockSize;
                v.Add(new StateTensor("state1", n, DType.UInt8));
                v.Add(new StateTensor("state2", n, DType.UInt8));
                v.Add(new StateTensor("absmax1", blocks, DType.Float32));
                v.Add(new StateTensor("absmax2", blocks, DType.Float32));
                break;
            case BaseOptimizer.AdamW8bit:
                v.Add(new StateTensor("state1", n, DType.Float32));
                v.Add(new StateTensor("state2", n, DType.Float32));
                break;
            default:
                if (setup.AdafactorBeta1 is not null) v.Add(new StateTensor("exp_avg", n, DType.Float32));
                if (matrix)
                {
                    v.Add(new StateTensor("exp_avg_sq_row", rows, DType.Float32));
                    v.Add(new StateTensor("exp_avg_sq_col", cols, DType.Float32));
                }
                else v.Add(new StateTensor("exp_avg_sq", n, DType.Float32));
                break;
        }
    }

    interface IStateVisitor
    {
        void Add(StateTensor t);
    }

    struct SumVisitor : IStateVisitor
    {
        public long Total;
        public AllocationRounding Rounding;
        public void Add(StateTensor t) => Total += Memory.Rounding.Apply(t.Bytes, Rounding);
    }

    readonly struct ListVisitor(List<StateTensor> list) : IStateVisitor
    {
        public void Add(StateTensor t) => list.Add(t);
    }
}
