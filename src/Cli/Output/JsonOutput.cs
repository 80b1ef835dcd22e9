using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace GaLore.Cli.Output;

/// <summary>Writes indented JSON to a <see cref="TextWriter"/>.</summary>
public static class JsonOutput
{
    /// <summary>Version of every command's JSON: raised when a field changes meaning or is removed (added fields do not
    /// raise it). Each object starts with <c>"format": "galore-plan.COMMAND/VERSION"</c>.</summary>
    public const int FormatVersion = 1;

    /// <summary>Writes the <c>format</c> field of <paramref name="command"/>'s object.</summary>
    public static void WriteFormat(Utf8JsonWriter j, string command) => j.WriteString("format", $"galore-plan.{command}/{FormatVersion}");

    /// <summary>Runs <paramref name="write"/> against a writer and prints the result followed by a newline.</summary>
    public static void Print(TextWriter output, Action<Utf8JsonWriter> write)
    {
        using var buffer = new MemoryStream();
        using (var j = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
            write(j);
        output.WriteLine(Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length));
    }
}
