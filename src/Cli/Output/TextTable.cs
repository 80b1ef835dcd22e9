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
        int n = headers.Length;
        var widths = new int[n];
        var numeric = new bool[n];
        for (int i = 0; i < n; i++)
        {
            widths[i] = headers[i].Length;
            bool any = false, all = true;
            foreach (var r in rows)
            {
                widths[i] = Math.Max(widths[i], r[i].Length);
                any |= r[i].Length > 0;
                all &= r[i].Length == 0 || IsNumeric(r[i]);
            }
            numeric[i] = any && all;
        }
        void Line(string[] cells)
        {
            w.Write(indent);
            for (int i = 0; i < cells.Length; i++)
            {
                if (i > 0) w.Write("  ");
                int pad = widths[i] - cells[i].Length;
                if (numeric[i]) Repeat(w, Spaces, pad);
                w.Write(cells[i]);
                if (!numeric[i] && i < cells.Length - 1) Repeat(w, Spaces, pad);
            }
            w.WriteLine();
        }
        Line(headers);
        w.Write(indent);
        for (int i = 0; i < n; i++)
        {
            if (i > 0) w.Write("  ");
            Repeat(w, Dashes, widths[i]);
        }
        w.WriteLine();
        foreach (var r in rows) Line(r);
    }

    const string Spaces = "                                ";
    const string Dashes = "--------------------------------";

    /// <summary>Writes <paramref name="count"/> copies of the run's character. Slices of a constant rather than
    /// <c>PadLeft</c>/<c>new string(c, n)</c>, whose vectorised fill is JIT-compiled at every start-up (it is generic over
    /// <c>char</c>, outside ReadyToRun's image).</summary>
    static void Repeat(TextWriter w, string run, int count)
    {
        for (; count > 0; count -= run.Length) w.Write(run.AsSpan(0, Math.Min(count, run.Length)));
    }

    static bool IsNumeric(string s) => s.Length > 0 && (char.IsDigit(s[0]) || s[0] == '-' && s.Length > 1 && char.IsDigit(s[1]));
}
