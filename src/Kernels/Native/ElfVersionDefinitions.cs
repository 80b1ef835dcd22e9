namespace GaLore.Kernels.Native;

/// <summary>
/// Reads the version definitions (<c>.gnu.version_d</c>, type SHT_GNU_verdef) of an ELF64
/// little-endian shared object: the set of version names it provides, e.g. <c>GLIBCXX_3.4.30</c>.
/// </summary>
/// <remarks>
/// Layout (LSB Core "Symbol Versioning", section "Version Definition Section"; glibc <c>elf.h</c>):
/// a chain of 20-byte Elf64_Verdef records {vd_version u16, vd_flags u16, vd_ndx u16, vd_cnt u16,
/// vd_hash u32, vd_aux u32, vd_next u32}, each followed (at relative offset vd_aux) by vd_cnt 8-byte
/// Elf64_Verdaux records {vda_name u32, vda_next u32}. The first Verdaux names the version being
/// defined; later ones name its predecessors. sh_link is the string table, sh_info the number of
/// Verdef records. The record flagged VER_FLG_BASE (0x1) carries the file's own SONAME.
/// </remarks>
public static class ElfVersionDefinitions
{
    /// <summary>sh_type of the version-definition section (.gnu.version_d).</summary>
    public const uint ShtGnuVerdef = 0x6ffffffd;

    private const int VerdefSize = 20, VerdauxSize = 8;

    /// <summary>The version names defined by the ELF file at <paramref name="path"/>.</summary>
    /// <exception cref="ElfFormatException">The file is not a well-formed ELF64 little-endian object.</exception>
    public static IReadOnlySet<string> Read(string path) => Read(Elf64Image.Load(path));

    /// <summary>The version names defined by an ELF file held in <paramref name="data"/>.</summary>
    public static IReadOnlySet<string> Read(byte[] data, string source = "<memory>") => Read(new Elf64Image(data, source));

    internal static IReadOnlySet<string> Read(Elf64Image image)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        if (image.FindSection(ShtGnuVerdef) is not { } section)
            return names; // an unversioned library defines no versions
        var strtab = image.SectionAt(section.Link);
        long end = (long)(section.Offset + section.Size);

        long def = (long)section.Offset;
        for (uint n = 0; n < section.Info; n++) // sh_info bounds the walk against vd_next cycles
        {
            if (def + VerdefSize > end)
                throw image.Bad($"corrupt .gnu.version_d: Elf64_Verdef at offset 0x{def:x} runs past the end of the section");
            ushort vdVersion = image.U16(def);
            if (vdVersion != 1) // VER_DEF_CURRENT
                throw image.Bad($"unsupported Verdef vd_version {vdVersion} at offset 0x{def:x} (expected 1)");
            if (image.U16(def + 6) > 0) // vd_cnt: only the first Verdaux names this definition
            {
                long aux = def + image.U32(def + 12);
                if (aux + VerdauxSize > end)
                    throw image.Bad($"corrupt .gnu.version_d: Elf64_Verdaux at offset 0x{aux:x} runs past the end of the section");
                names.Add(image.ReadString(strtab, image.U32(aux)));
            }
            uint next = image.U32(def + 16);
            if (next == 0) break;
            def += next;
        }
        return names;
    }
}
