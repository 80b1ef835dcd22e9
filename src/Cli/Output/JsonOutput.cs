using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace GaLore.Cli.Output;

/// <summary>Writes indented JSON to a <see cref="TextWriter"/>.</summary>
public static class JsonOutput
{
    /// <summary>Runs <paramref name="write"/> against a writer and prints the result followed by a newline.</summary>
    public static void Print(TextWriter output, Action<Utf8JsonWriter> write)
    {
        using var buffer = new MemoryStream();
        using (var j = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
            write(j);
        output.WriteLine(Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length));
    }
}
