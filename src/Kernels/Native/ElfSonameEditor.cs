using System.Text;

namespace GaLore.Kernels.Native;

/// <summary>
/// Reads and re-points the DT_SONAME entry of an ELF64 little-endian shared object without
/// changing its size: the new SONAME must already occur, NUL-terminated, in the dynamic string
/// table — either as a whole string or as the tail of a longer one (gABI "String Table" explicitly
/// allows a reference into the middle of a string; <c>"torch_cpu.so"</c> is the tail of the
/// DT_NEEDED string <c>"libtorch_cpu.so"</c>).
/// </summary>
/// <remarks>
/// The dynamic section (gABI "Dynamic Section", section type SHT_DYNAMIC = 6) is an array of
/// 16-byte Elf64_Dyn {d_tag i64, d_un u64} ending at DT_NULL; DT_SONAME (14) holds an offset into
/// the string table named by the section's sh_link (the same table DT_STRTAB points to).
/// The loader uses this to build "alias" stubs, see <see cref="TorchSharpNameProbe"/>.
/// </remarks>
public static class ElfSonameEditor
{
    private const uint ShtDynamic = 6;
    private const long DtNull = 0, DtSoname = 14;
    private const int DynSize = 16;

    /// <summary>The DT_SONAME of the object in <paramref name="data"/>, or null if it has none.</summary>
    public static string? ReadSoname(byte[] data, string source = "<memory>")
    {
        var image = new Elf64Image(data, source);
        var (_, strtab, at) = FindSoname(image);
        return at < 0 ? null : image.ReadString(strtab, (uint)image.U64(at + 8));
    }

    /// <summary>
    /// Points DT_SONAME, in place, at an existing occurrence of <paramref name="soname"/> in the
    /// dynamic string table. Only the 8-byte d_val of that one entry changes.
    /// </summary>
    /// <exception cref="ElfFormatException">No dynamic section, no DT_SONAME entry, or the string does not occur.</exception>
    public static void PointSonameAt(byte[] data, string soname, string source = "<memory>")
    {
        var image = new Elf64Image(data, source);
        var (_, strtab, at) = FindSoname(image);
        if (at < 0) throw image.Bad("has no DT_SONAME entry to re-point");

        byte[] needle = Encoding.UTF8.GetBytes(soname + "\0");
        var table = data.AsSpan(checked((int)strtab.Offset), checked((int)strtab.Size));
        int found = table.IndexOf(needle);
        if (found < 0) throw image.Bad($"the dynamic string table does not contain \"{soname}\" (as a string or a string's tail)");

        ulong value = (ulong)found;
        for (int i = 0; i < 8; i++) data[at + 8 + i] = (byte)(value >> (8 * i)); // little-endian d_val
    }

    /// <summary>Finds the SHT_DYNAMIC section, its string table, and the file offset of the DT_SONAME entry (-1 if none).</summary>
    private static (Elf64Section Dynamic, Elf64Section Strtab, long SonameAt) FindSoname(Elf64Image image)
    {
        if (image.FindSection(ShtDynamic) is not { } dynamic)
            throw image.Bad("has no dynamic section (SHT_DYNAMIC); it is not a shared object");
        var strtab = image.SectionAt(dynamic.Link);
        for (long at = (long)dynamic.Offset; at + DynSize <= (long)(dynamic.Offset + dynamic.Size); at += DynSize)
        {
            long tag = (long)image.U64(at);
            if (tag == DtNull) break;
            if (tag == DtSoname) return (dynamic, strtab, at);
        }
        return (dynamic, strtab, -1);
    }
}
