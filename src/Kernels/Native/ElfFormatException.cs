namespace GaLore.Kernels.Native;

/// <summary>
/// Thrown when a file handed to the ELF readers is not a well-formed ELF64 little-endian
/// object (bad magic, wrong class or byte order, or a header/table that points outside the file).
/// </summary>
public sealed class ElfFormatException : Exception
{
    /// <summary>Creates the exception with a message that names the offending file and field.</summary>
    public ElfFormatException(string message) : base(message) { }
}
