namespace GaLore.Cli.Output;

/// <summary>A plain-text table with aligned columns (numbers right-aligned).</summary>
public sealed class TextTable(params string[] headers)
{
    readonly List<string[]> rows = [];

    /// <summary>Adds a row; it must have one cell per header.</summary>
    public TextTable Add(params string[] cells)
    {
        if (cells.Length != headers.Length) throw new ArgumentException("row width differs from the header");
        rows.Add(cells);
        return this;
    }

    /// <summary>Writes the table.</summary>
    public void WriteTo(TextWriter w, string indent = "")
    {
        var widths = headers.Select((h, i) => Math.Max(h.Length, rows.Count == 0 ? 0 : rows.Max(r => r[i].Length))).ToArray();
        bool[] numeric = headers.Select((_, i) => rows.Any(r => r[i].Length > 0) && rows.All(r => r[i].Length == 0 || IsNumeric(r[i]))).ToArray();
        void Line(string[] cells)
        {
            w.Write(indent);
            for (int i = 0; i < cells.Length; i++)
            {
                if (i > 0) w.Write("  ");
                w.Write(numeric[i] ? cells[i].PadLeft(widths[i]) : i == cells.Length - 1 ? cells[i] : cells[i].PadRight(widths[i]));
            }
            w.WriteLine();
        }
        Line(headers);
        w.Write(indent);
        w.WriteLine(string.Join("  ", widths.Select(x => new string('-', x))));
        foreach (var r in rows) Line(r);
    }

    static bool IsNumeric(string s) => s.Length > 0 && (char.IsDigit(s[0]) || s[0] == '-' && s.Length > 1 && char.IsDigit(s[1]));
}
