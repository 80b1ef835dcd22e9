using System.IO.Pipes;
using System.Text;
using GaLore.Cli.Output;

namespace GaLore.Cli.Tests.Output;

public class StandardStreamTests
{
    [Fact]
    public async Task A_write_larger_than_the_pipe_buffer_arrives_whole_and_in_order()
    {
        using var server = new AnonymousPipeServerStream(PipeDirection.In);
        using var client = new AnonymousPipeClientStream(PipeDirection.Out, server.ClientSafePipeHandle);
        var data = new byte[1 << 20];   // 16 × a Linux pipe's 64 KiB, drained while it is written
        for (int i = 0; i < data.Length; i++) data[i] = (byte)(i * 7 + i / 251);
        var read = Task.Run(() =>
        {
            var got = new MemoryStream();
            server.CopyTo(got);
            return got.ToArray();
        });
        var stream = new StandardStream((int)client.SafePipeHandle.DangerousGetHandle());
        stream.Write(data);
        client.Dispose();
        server.DisposeLocalCopyOfClientHandle();
        Assert.Equal(data, await read.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.False(stream.Broken);
    }

    [Fact]
    public void A_reader_that_went_away_ends_the_output_without_an_exception()
    {
        var server = new AnonymousPipeServerStream(PipeDirection.In);
        using var client = new AnonymousPipeClientStream(PipeDirection.Out, server.ClientSafePipeHandle);
        server.Dispose();   // `| head -1` after its line: the read end is closed
        var stream = new StandardStream((int)client.SafePipeHandle.DangerousGetHandle());
        stream.Write("fit\n"u8);
        stream.Write("more\n"u8);
        Assert.True(stream.Broken);
    }

    [Fact]
    public void Two_streams_on_one_file_interleave_in_the_order_written()
    {
        // `> log 2>&1`: stdout and stderr share one open file; each write must land at the shared offset.
        string path = Path.Combine(Path.GetTempPath(), $"galore-standard-{Guid.NewGuid():N}.txt");
        try
        {
            using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write))
            {
                int fd = (int)file.SafeFileHandle.DangerousGetHandle();
                var output = new StreamWriter(new StandardStream(fd), new UTF8Encoding(false)) { AutoFlush = true };
                var error = new StreamWriter(new StandardStream(fd), new UTF8Encoding(false)) { AutoFlush = true };
                output.WriteLine("one");
                error.WriteLine("two ×");
                output.WriteLine("three");
            }
            Assert.Equal("one\ntwo ×\nthree\n", File.ReadAllText(path).ReplaceLineEndings("\n"));
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void A_full_device_is_one_error_line_with_exit_2_not_lost_output()
    {
        var psi = new System.Diagnostics.ProcessStartInfo("sh") { RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add($"dotnet '{ProcessRunner.CliDll}' fit --model llama-60m > /dev/full");
        using var p = System.Diagnostics.Process.Start(psi)!;
        string err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.Equal(2, p.ExitCode);
        Assert.Equal("error: writing to standard output failed: No space left on device", err.TrimEnd('\n'));
    }
}
