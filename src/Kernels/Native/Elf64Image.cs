using System.Buffers.Binary;
using System.Text;

namespace GaLore.Kernels.Native;

/// <summary>One entry of the ELF64 section header table (gABI "Sections", Figure 4-8, Elf64_Shdr).</summary>
/// <param name="Index">Position in the section header table.</param>
/// <param name="Type">sh_type, e.g. SHT_STRTAB (3) or SHT_GNU_verneed (0x6ffffffe).</param>
/// <param name="Offset">sh_offset: byte offset of the section's contents in the file.</param>
/// <param name="Size">sh_size: size of the contents in bytes.</param>
/// <param name="Link">sh_link: for version sections, the index of the associated string table.</param>
/// <param name="Info">sh_info: for version sections, the number of top-level entries.</param>
internal readonly record struct Elf64Section(int Index, uint Type, ulong Offset, ulong Size, uint Link, uint Info);

/// <summary>
/// A minimal, read-only view of an ELF64 little-endian file held in memory: the file header
/// (System V gABI, "ELF Header", Elf64_Ehdr) and the section header table (gABI "Sections").
/// Every read is bounds-checked, so truncated or corrupt files fail with <see cref="ElfFormatException"/>
/// instead of an <see cref="IndexOutOfRangeException"/>.
/// </summary>
internal sealed class Elf64Image
{
    // e_ident indices and values (gABI "ELF Identification").
    private const int EiClass = 4, EiData = 5;
    private const byte ElfClass64 = 2, ElfData2Lsb = 1;
    private const int Elf64HeaderSize = 64, Elf64SectionHeaderSize = 64;
    // Section names (e_shstrndx) are never needed: sections are found by sh_type, as the tools do.

    /// <summary>The whole file. Callers that patch write into this array directly.</summary>
    public byte[] Data { get; }

    /// <summary>A name for error messages (usually the path).</summary>
    public string Source { get; }

    /// <summary>All section headers, in table order.</summary>
    public IReadOnlyList<Elf64Section> Sections { get; }

    /// <summary>Parses the file header and section header table of <paramref name="data"/>.</summary>
    /// <exception cref="ElfFormatException">The data is not a complete ELF64 little-endian file.</exception>
    public Elf64Image(byte[] data, string source)
    {
        Data = data;
        Source = source;
        if (data.Length < 16 || data[0] != 0x7f || data[1] != (byte)'E' || data[2] != (byte)'L' || data[3] != (byte)'F')
            throw Bad("not an ELF file (missing \\x7fELF magic)");
        if (data[EiClass] != ElfClass64)
            throw Bad($"not a 64-bit ELF file (EI_CLASS = {data[EiClass]}, expected 2 = ELFCLASS64)");
        if (data[EiData] != ElfData2Lsb)
            throw Bad($"not a little-endian ELF file (EI_DATA = {data[EiData]}, expected 1 = ELFDATA2LSB)");
        if (data.Length < Elf64HeaderSize)
            throw Bad($"truncated: {data.Length} bytes is shorter than the 64-byte ELF64 header");

        ulong shoff = U64(0x28);          // e_shoff
        ushort shentsize = U16(0x3a);     // e_shentsize
        ulong shnum = U16(0x3c);          // e_shnum
        if (shoff == 0)
            throw Bad("has no section header table (e_shoff = 0)");
        if (shentsize != Elf64SectionHeaderSize)
            throw Bad($"unexpected section header size e_shentsize = {shentsize} (expected 64)");
        CheckRange(shoff, Elf64SectionHeaderSize, "section header 0");
        if (shnum == 0) shnum = U64(checked((int)shoff) + 0x20);         // extended numbering: section 0's sh_size
        CheckRange(shoff, shnum * Elf64SectionHeaderSize, $"section header table ({shnum} entries)");

        var sections = new Elf64Section[shnum];
        for (int i = 0; i < sections.Length; i++)
        {
            int at = checked((int)shoff + i * Elf64SectionHeaderSize);
            var s = new Elf64Section(i, Type: U32(at + 4), Offset: U64(at + 24), Size: U64(at + 32),
                                     Link: U32(at + 40), Info: U32(at + 44));
            // SHT_NOBITS (8, e.g. .bss) occupies no file space; everything else must lie inside the file.
            if (s.Type != 8) CheckRange(s.Offset, s.Size, $"contents of section {i}");
            sections[i] = s;
        }
        Sections = sections;
    }

    /// <summary>Reads the whole file at <paramref name="path"/> and parses it.</summary>
    public static Elf64Image Load(string path) => new(File.ReadAllBytes(path), path);

    /// <summary>The first section of type <paramref name="type"/>, or null if there is none.</summary>
    public Elf64Section? FindSection(uint type)
    {
        foreach (var s in Sections)
            if (s.Type == type) return s;
        return null;
    }

    /// <summary>The section at <paramref name="index"/>; fails cleanly on a dangling sh_link.</summary>
    public Elf64Section SectionAt(uint index) =>
        index < Sections.Count ? Sections[(int)index] : throw Bad($"section index {index} is out of range ({Sections.Count} sections)");

    /// <summary>
    /// Reads the NUL-terminated string at <paramref name="offset"/> within string table
    /// <paramref name="strtab"/> (gABI "String Table").
    /// </summary>
    public string ReadString(Elf64Section strtab, uint offset)
    {
        if (offset >= strtab.Size) throw Bad($"string offset {offset} is outside string table section {strtab.Index}");
        int start = checked((int)(strtab.Offset + offset));
        int end = checked((int)(strtab.Offset + strtab.Size));
        int nul = Array.IndexOf(Data, (byte)0, start, end - start);
        if (nul < 0) throw Bad($"unterminated string at offset {offset} in section {strtab.Index}");
        return Encoding.UTF8.GetString(Data, start, nul - start);
    }

    /// <summary>Little-endian Elf64_Half at absolute file offset <paramref name="at"/>.</summary>
    public ushort U16(long at) { CheckRange((ulong)at, 2, "field"); return BinaryPrimitives.ReadUInt16LittleEndian(Data.AsSpan((int)at)); }

    /// <summary>Little-endian Elf64_Word at absolute file offset <paramref name="at"/>.</summary>
    public uint U32(long at) { CheckRange((ulong)at, 4, "field"); return BinaryPrimitives.ReadUInt32LittleEndian(Data.AsSpan((int)at)); }

    /// <summary>Little-endian Elf64_Xword/Off/Addr at absolute file offset <paramref name="at"/>.</summary>
    public ulong U64(long at) { CheckRange((ulong)at, 8, "field"); return BinaryPrimitives.ReadUInt64LittleEndian(Data.AsSpan((int)at)); }

    /// <summary>Writes a little-endian Elf64_Half at absolute offset <paramref name="at"/>.</summary>
    public void WriteU16(long at, ushort value) { CheckRange((ulong)at, 2, "field"); BinaryPrimitives.WriteUInt16LittleEndian(Data.AsSpan((int)at), value); }

    /// <summary>Throws unless [<paramref name="offset"/>, offset + <paramref name="length"/>) lies inside the file.</summary>
    public void CheckRange(ulong offset, ulong length, string what)
    {
        if (offset > (ulong)Data.Length || length > (ulong)Data.Length - offset)
            throw Bad($"truncated or corrupt: {what} at offset 0x{offset:x} (+{length} bytes) runs past the end of the file ({Data.Length} bytes)");
    }

    /// <summary>An <see cref="ElfFormatException"/> whose message names <see cref="Source"/>.</summary>
    public ElfFormatException Bad(string why) => new($"{Source}: {why}");
}
