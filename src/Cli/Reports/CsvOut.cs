using System.Globalization;
using CsvHelper;

namespace GaLore.Cli.Reports;

/// <summary>
/// Writes CSV files with CsvHelper (RFC 4180 quoting, UTF-8 without a byte-order mark, invariant culture, '\n' line ends). Column names are
/// snake_case and carry their unit (<c>peak_gib</c>: GiB = 2³⁰ bytes), so a CSV reads on its own.
/// </summary>
public static class CsvOut
{
    /// <summary>Writes a header and rows; cells are formatted with the invariant culture. The file appears whole or not at
    /// all (<see cref="AtomicFile"/>).</summary>
    public static void Write(string path, IReadOnlyList<string> header, IEnumerable<IReadOnlyList<object?>> rows) =>
        AtomicFile.Write(path, temp => WriteTo(temp, header, rows));

    static void WriteTo(string path, IReadOnlyList<string> header, IEnumerable<IReadOnlyList<object?>> rows)
    {
        using var csv = CsvWriter.ToFile(path, new CsvWriterOptions { NewLine = "\n", FormatProvider = CultureInfo.InvariantCulture });
        csv.WriteHeader(header.ToArray());
        foreach (var row in rows)
        {
            if (row.Count != header.Count)
                throw new ArgumentException($"CSV row has {row.Count} fields, the header {header.Count}");
            foreach (var cell in row) csv.WriteField(Format(cell));
            csv.EndRecord();
        }
    }

    /// <summary>A GiB value for CSV: bytes / 2³⁰ rounded to 4 decimals (≈ 0.1 MiB).</summary>
    public static double Gib(long bytes) => Math.Round(bytes / (double)(1L << 30), 4);

    static string Format(object? cell) => cell switch
    {
        null => "",
        bool b => b ? "true" : "false",
        double d => d.ToString("0.####", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => cell.ToString() ?? "",
    };
}
