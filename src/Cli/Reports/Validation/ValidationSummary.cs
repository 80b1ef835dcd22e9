using GaLore.Planner.Memory;
using GaLore.Planner.Optimizers;
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
    public bool MeetsTarget => Measured > 0 && Within5 == Measured && Math.Abs(MedianError) <= 1 && QuantizedWithin2 == Quantized;

    /// <summary>Measured rows whose optimizer keeps quantized (8- or 4-bit) states (<see cref="KeepsQuantizedStates"/>).</summary>
    public int Quantized { get; init; }

    /// <summary>Of <see cref="Quantized"/>, those within ±2 %.</summary>
    public int QuantizedWithin2 { get; init; }

    /// <summary>The target, in words.</summary>
    public const string TargetText = "every configuration within ±5 %, median within ±1 %, quantized-state (8- and 4-bit) rows within ±2 %";

    /// <summary>Computes the statistics.</summary>
    public static ValidationSummary Of(IReadOnlyList<ValidationRecord> rows)
    {
        var measured = rows.Where(r => r.Measured && r.ErrorPct is not null).ToList();
        var errors = measured.Select(r => r.ErrorPct!.Value).OrderBy(e => e).ToArray();
        var abs = errors.Select(Math.Abs).OrderBy(e => e).ToArray();
        var quantized = measured.Where(r => KeepsQuantizedStates(r.Optimizer, r.Precision)).ToList();
        return new ValidationSummary(measured.Count, measured.Count(r => r.MeasuredPeakBytes >= 150_000_000),
            errors.Count(e => Math.Abs(e) <= 5), Median(errors), Median(abs), abs.DefaultIfEmpty(0).Max(),
            errors.DefaultIfEmpty(0).Average())
        {
            Quantized = quantized.Count,
            QuantizedWithin2 = quantized.Count(r => Math.Abs(r.ErrorPct!.Value) <= 2),
        };
    }

    /// <summary>Whether a row's optimizer keeps quantized states (<see cref="StateLayout.KeepsQuantizedStates"/>); a name this
    /// build does not know keeps none.</summary>
    public static bool KeepsQuantizedStates(string optimizer, string precision)
    {
        OptimizerSetup setup;
        try { setup = OptimizerSetup.FromName(optimizer); }
        catch (GaLore.Planner.PlannerInputException) { return false; }
        return StateLayout.KeepsQuantizedStates(setup, Precision.Parse(precision));
    }

    /// <summary>A percentage with sign and two decimals; one that rounds to zero is 0.00 (+ 0.0 turns a negative zero positive).</summary>
    public static string Pct(double x) => (Math.Round(x, 2) + 0.0).ToString("+0.00;-0.00;0.00", CultureInfo.InvariantCulture) + " %";

    static double Median(double[] sorted) =>
        sorted.Length == 0 ? 0 : sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
}
