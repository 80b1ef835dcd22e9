using System.Runtime.InteropServices;

namespace GaLore.Cli.Output;

/// <summary>
/// A write-only stream over a file descriptor (1 or 2) written with <c>write(2)</c> (POSIX.1-2017, write): partial writes
/// are continued, <c>EINTR</c> retried, and a closed reader (<c>EPIPE</c>, as in <c>galore-plan fit | head -1</c>) ends the
/// output silently, as <see cref="Console"/> does. It uses the descriptor's shared offset, so stdout and stderr
/// redirected to one file (<c>&gt; log 2&gt;&amp;1</c>) interleave in order; a <see cref="FileStream"/> on the descriptor
/// would keep its own offset (pwrite) and overwrite the other stream's lines.
/// </summary>
public sealed partial class StandardStream(int descriptor) : Stream
{
    const int Eintr = 4, Epipe = 32;   // the same numbers on Linux and macOS

    string Name => descriptor switch { 1 => "standard output", 2 => "standard error", _ => $"file descriptor {descriptor}" };

    /// <summary>Whether the reader went away; nothing more is written.</summary>
    public bool Broken { get; private set; }

    /// <inheritdoc/>
    public override unsafe void Write(ReadOnlySpan<byte> buffer)
    {
        fixed (byte* start = buffer)
        {
            int done = 0;
            while (done < buffer.Length && !Broken)
            {
                nint n = WriteNative(descriptor, start + done, buffer.Length - done);
                if (n > 0)
                {
                    done += (int)n;
                    continue;
                }
                if (n == 0) throw new IOException($"writing to {Name} wrote nothing");
                int errno = Marshal.GetLastPInvokeError();
                if (errno == Eintr) continue;
                if (errno == Epipe) Broken = true;
                else throw new IOException($"writing to {Name} failed: {Marshal.GetPInvokeErrorMessage(errno)}");
            }
        }
    }

    /// <inheritdoc/>
    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    /// <inheritdoc/>
    public override void WriteByte(byte value) => Write([value]);

    /// <summary>Nothing is buffered here.</summary>
    public override void Flush() { }

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    private static unsafe partial nint WriteNative(int descriptor, byte* buffer, nint count);
}
