namespace GaLore.Kernels.Native;

/// <summary>
/// One version requirement of an ELF object: "I need version <see cref="Version"/> of
/// <see cref="File"/>" — an Elf64_Vernaux entry under its Elf64_Verneed parent
/// (LSB Core, "Symbol Versioning", section "Version Requirements").
/// </summary>
/// <param name="File">vn_file: the DT_NEEDED name the requirement is against, e.g. <c>libstdc++.so.6</c>.</param>
/// <param name="Version">vna_name: the version name, e.g. <c>GLIBCXX_3.4.32</c>.</param>
/// <param name="Flags">vna_flags: <see cref="ElfVersionNeedPatcher.VerFlgWeak"/> and/or VER_FLG_BASE (0x1).</param>
/// <param name="Index">vna_other: the version index that .gnu.version (SHT_GNU_versym) entries use.</param>
/// <param name="FlagsOffset">Absolute file offset of the 2-byte vna_flags field.</param>
public readonly record struct ElfVersionNeed(string File, string Version, ushort Flags, ushort Index, long FlagsOffset)
{
    /// <summary>True when VER_FLG_WEAK is set, i.e. the dynamic linker tolerates the version being absent.</summary>
    public bool IsWeak => (Flags & ElfVersionNeedPatcher.VerFlgWeak) != 0;
}

/// <summary>
/// Reads and patches the version-requirement section (<c>.gnu.version_r</c>, type SHT_GNU_verneed)
/// of an ELF64 little-endian shared object, in pure managed code.
/// </summary>
/// <remarks>
/// <para>Layout (LSB Core "Symbol Versioning"; glibc <c>elf.h</c>): the section is a chain of
/// 16-byte Elf64_Verneed records {vn_version u16, vn_cnt u16, vn_file u32, vn_aux u32, vn_next u32},
/// each owning a chain of vn_cnt 16-byte Elf64_Vernaux records
/// {vna_hash u32, vna_flags u16, vna_other u16, vna_name u32, vna_next u32}. vn_aux, vn_next and
/// vna_next are byte offsets relative to the record that holds them; vn_file and vna_name are offsets
/// into the string table whose index is the section's sh_link (gABI "Sections"). sh_info holds the
/// number of Verneed records (the same number as DT_VERNEEDNUM).</para>
/// <para>Why patching the flag is enough: glibc's <c>_dl_check_map_versions</c> (elf/dl-version.c)
/// reports a missing version as fatal unless the Vernaux entry has VER_FLG_WEAK. Setting that
/// bit changes two bytes and no sizes or offsets, so the rest of the file stays byte-identical.
/// A symbol bound to a weakened, missing version still fails to resolve if something actually uses
/// it, so the patch is only safe when no relocation needs such a symbol (true for the one
/// GLIBCXX_3.4.32 symbol, <c>_ZSt21ios_base_library_initv</c>, in TorchSharp 0.107's library).</para>
/// </remarks>
public static class ElfVersionNeedPatcher
{
    /// <summary>sh_type of the version-requirement section (.gnu.version_r).</summary>
    public const uint ShtGnuVerneed = 0x6ffffffe;

    /// <summary>vna_flags bit meaning "weak version reference": absence is not an error.</summary>
    public const ushort VerFlgWeak = 0x2;

    private const int RecordSize = 16; // both Elf64_Verneed and Elf64_Vernaux

    /// <summary>Reads every version requirement of the ELF file at <paramref name="path"/>.</summary>
    /// <exception cref="ElfFormatException">The file is not a well-formed ELF64 little-endian object.</exception>
    public static IReadOnlyList<ElfVersionNeed> ReadNeeds(string path) => ReadNeeds(Elf64Image.Load(path));

    /// <summary>Reads every version requirement of an ELF file held in <paramref name="data"/>.</summary>
    /// <param name="data">The whole file.</param>
    /// <param name="source">A name used in error messages.</param>
    public static IReadOnlyList<ElfVersionNeed> ReadNeeds(byte[] data, string source = "<memory>") =>
        ReadNeeds(new Elf64Image(data, source));

    /// <summary>
    /// Sets VER_FLG_WEAK, in place, on every requirement for which <paramref name="shouldWeaken"/>
    /// returns true and that is not already weak. Only vna_flags bytes are written.
    /// </summary>
    /// <returns>The requirements that were changed (with their old flags).</returns>
    public static IReadOnlyList<ElfVersionNeed> MarkWeak(byte[] data, Func<ElfVersionNeed, bool> shouldWeaken, string source = "<memory>")
    {
        var image = new Elf64Image(data, source);
        var changed = new List<ElfVersionNeed>();
        foreach (var need in ReadNeeds(image))
        {
            if (need.IsWeak || !shouldWeaken(need)) continue;
            image.WriteU16(need.FlagsOffset, (ushort)(need.Flags | VerFlgWeak));
            changed.Add(need);
        }
        return changed;
    }

    /// <summary>
    /// Marks weak every requirement against <paramref name="neededFile"/> (e.g. <c>libstdc++.so.6</c>)
    /// whose version is not in <paramref name="providedVersions"/> — the version definitions of the
    /// library the process will actually bind to (see <see cref="ElfVersionDefinitions"/>).
    /// </summary>
    /// <returns>The requirements that were changed.</returns>
    public static IReadOnlyList<ElfVersionNeed> MarkMissingAsWeak(
        byte[] data, string neededFile, IReadOnlySet<string> providedVersions, string source = "<memory>") =>
        MarkWeak(data, n => n.File == neededFile && !providedVersions.Contains(n.Version), source);

    /// <summary>The requirements against <paramref name="neededFile"/> that <paramref name="providedVersions"/> lacks.</summary>
    public static IReadOnlyList<ElfVersionNeed> FindMissing(
        IEnumerable<ElfVersionNeed> needs, string neededFile, IReadOnlySet<string> providedVersions) =>
        needs.Where(n => n.File == neededFile && !providedVersions.Contains(n.Version)).ToList();

    internal static IReadOnlyList<ElfVersionNeed> ReadNeeds(Elf64Image image)
    {
        var result = new List<ElfVersionNeed>();
        if (image.FindSection(ShtGnuVerneed) is not { } section)
            return result; // an object without versioned dependencies: nothing to report
        var strtab = image.SectionAt(section.Link);
        long end = (long)(section.Offset + section.Size);

        long need = (long)section.Offset;
        // sh_info bounds the walk, so a corrupt vn_next cycle cannot loop forever.
        for (uint n = 0; n < section.Info; n++)
        {
            CheckRecord(image, need, end, "Elf64_Verneed");
            ushort vnVersion = image.U16(need);
            if (vnVersion != 1) // VER_NEED_CURRENT
                throw image.Bad($"unsupported Verneed vn_version {vnVersion} at offset 0x{need:x} (expected 1)");
            ushort count = image.U16(need + 2);
            string file = image.ReadString(strtab, image.U32(need + 4));

            long aux = need + image.U32(need + 8);
            for (int a = 0; a < count; a++)
            {
                CheckRecord(image, aux, end, "Elf64_Vernaux");
                result.Add(new ElfVersionNeed(
                    File: file,
                    Version: image.ReadString(strtab, image.U32(aux + 8)),
                    Flags: image.U16(aux + 4),
                    Index: image.U16(aux + 6),
                    FlagsOffset: aux + 4));
                uint nextAux = image.U32(aux + 12);
                if (nextAux == 0) break;
                aux += nextAux;
            }

            uint next = image.U32(need + 12);
            if (next == 0) break;
            need += next;
        }
        return result;
    }

    private static void CheckRecord(Elf64Image image, long at, long sectionEnd, string what)
    {
        if (at < 0 || at + RecordSize > sectionEnd)
            throw image.Bad($"corrupt .gnu.version_r: {what} at offset 0x{at:x} runs past the end of the section");
    }
}
