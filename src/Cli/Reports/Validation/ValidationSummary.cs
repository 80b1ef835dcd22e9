using GaLore.Planner.Runtime;
using GaLore.Planner.Memory;
using GaLore.Planner.Optimizers;
using GaLore.Planner.Models;
using System.Globalization;

namespace GaLore.Cli.Reports.Validation;

/// <summary>Error statistics over measured rows (errors in percent: (predicted − measured) / measured).</summary>
/// <param name="Measured">Rows with a measurement.</param>
/// <param name="AtLeast150MB">Of those, rows whose measured peak is at least 150 MB (10⁶ bytes).</param>
/// <param name="Within5">Rows within ±5 %.</param>
/// <param name="MedianError">Median signed error.</param>
/// <param name="MedianAbsError">Median absolute error.</param>
/// <param name="MaxAbsError">Largest absolute error.</param>
/// <param name="MeanError">Mean signed error.</param>
public sealed record ValidationSummary(int Measured, int AtLeast150MB, int Within5, double MedianError, double MedianAbsError,
    double MaxAbsError, double MeanError)
{
    /// <summary>The target: every configuration within ±5 %, the median within ±1 %, and every row with quantized optimizer
    /// states within ±2 %.</summary>
    public bool MeetsTarget => Measured > 0 && Within5 == Measured && Math.Abs(MedianError) <= 1 && EightBitWithin2 == EightBit;

    /// <summary>Measured rows whose optimizer keeps quantized (8- or 4-bit) states (<see cref="KeepsQuantizedStates"/>).</summary>
    public int EightBit { get; init; }

    /// <summary>Of <see cref="EightBit"/>, those within ±2 %.</summary>
    public int EightBitWithin2 { get; init; }

    /// <summary>The target, in words.</summary>
    public const string TargetText = "every configuration within ±5 %, median within ±1 %, quantized-state (8- and 4-bit) rows within ±2 %";

    /// <summary>Computes the statistics.</summary>
    public static ValidationSummary Of(IReadOnlyList<ValidationRecord> rows)
    {
        var measured = rows.Where(r => r.Measured && r.ErrorPct is not null).ToList();
        var errors = measured.Select(r => r.ErrorPct!.Value).OrderBy(e => e).ToArray();
        var abs = errors.Select(Math.Abs).OrderBy(e => e).ToArray();
        var eightBit = measured.Where(r => KeepsQuantizedStates(r.Optimizer, r.Precision)).ToList();
        return new ValidationSummary(measured.Count, measured.Count(r => r.MeasuredPeakBytes >= 150_000_000),
            errors.Count(e => Math.Abs(e) <= 5), Median(errors), Median(abs), abs.DefaultIfEmpty(0).Max(),
            errors.DefaultIfEmpty(0).Average())
        {
            EightBit = eightBit.Count,
            EightBitWithin2 = eightBit.Count(r => Math.Abs(r.ErrorPct!.Value) <= 2),
        };
    }

    /// <summary>Whether <paramref name="optimizer"/> keeps quantized states — byte codes: 8-bit, or torchao's 4-bit packed two
    /// per byte — for a large weight matrix, as the optimizer's own model lays them out (<see cref="StateLayout.Describe"/> on this project's runtime; bitsandbytes keeps tensors under 4,096
    /// elements in 32 bits, so the sample is large). A name this build does not know keeps none.</summary>
    public static bool KeepsQuantizedStates(string optimizer, string precision)
    {
        OptimizerSetup setup;
        try { setup = OptimizerSetup.FromName(optimizer); }
        catch (GaLore.Planner.PlannerInputException) { return false; }
        var matrix = new ParameterTensor("w", "model.layers.0.mlp.up_proj", TensorKind.MlpProjection, 0, 4096, 4096);
        return StateLayout.Describe(matrix, false, setup, Precision.Parse(precision), RuntimeProfile.TorchSharpKernels)
            .Any(t => t.Type.Bits() == 8);
    }

    /// <summary>A percentage with sign and two decimals; one that rounds to zero is 0.00 (+ 0.0 turns a negative zero positive).</summary>
    public static string Pct(double x) => (Math.Round(x, 2) + 0.0).ToString("+0.00;-0.00;0.00", CultureInfo.InvariantCulture) + " %";

    static double Median(double[] sorted) =>
        sorted.Length == 0 ? 0 : sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
}
