namespace GaLore.Kernels.Native;

/// <summary>
/// Predicts which file TorchSharp's own name-based loads (<c>NativeLibrary.TryLoad("torch_cpu", typeof(torch).Assembly, null)</c>
/// in <c>torch.LoadNativeBackend</c>, run from the <c>torch</c> static constructor) will open, and
/// builds "alias" stubs that make those loads return the libtorch we already loaded.
/// </summary>
/// <remarks>
/// <para>Why: if the libtorch we loaded (e.g. from <c>GALORE_LIBTORCH</c>) is not the same file as the
/// copy in the app folder, TorchSharp would dlopen that second <c>libtorch_cpu.so</c>; its static
/// initialisers re-register every operator with the shared c10 dispatcher and the process aborts
/// ("Tried to register multiple backend fallbacks for the same dispatch key Conjugate"). No managed
/// exception can catch that, and <c>NativeLibrary.SetDllImportResolver</c> does not apply to
/// <c>NativeLibrary.TryLoad(name, assembly, …)</c> (checked with .NET 10).</para>
/// <para>How the runtime probes a bare name such as <c>torch_cpu</c> on Linux: for each spelling in
/// the order <c>torch_cpu.so</c>, <c>libtorch_cpu.so</c>, … it tries every NATIVE_DLL_SEARCH_DIRECTORIES
/// folder, then the assembly's folder, then a bare <c>dlopen(spelling)</c>. glibc satisfies a bare
/// dlopen from an already-loaded object whose DT_SONAME equals the name. So an object with SONAME
/// <c>torch_cpu.so</c> is found at the first spelling's bare step, before the app folder's
/// <c>libtorch_cpu.so</c> is ever opened. The alias is a private copy of the tiny <c>libtorch.so</c> stub
/// (its only content: DT_NEEDED libtorch_cpu.so) with DT_SONAME re-pointed at the tail
/// <c>"torch_cpu.so"</c> of its own <c>"libtorch_cpu.so"</c> string (<see cref="ElfSonameEditor"/>);
/// loading it adds no code, and its DT_NEEDED resolves to the libtorch_cpu.so already loaded.</para>
/// </remarks>
public static class TorchSharpNameProbe
{
    /// <summary>The names TorchSharp 0.107 passes to <c>NativeLibrary.TryLoad</c> for libtorch itself on Linux.</summary>
    public static readonly IReadOnlyList<string> ProbedNames = ["torch_cpu", "torch_cuda"];

    /// <summary>
    /// The first existing file the runtime would open for <paramref name="name"/>, searching
    /// <paramref name="searchFolders"/> (NATIVE_DLL_SEARCH_DIRECTORIES, then TorchSharp.dll's folder)
    /// with each spelling in turn; null if only the bare-name dlopen remains (which matches SONAMEs).
    /// </summary>
    /// <returns>The file and whether it was found under the first spelling (<c>name.so</c>), which an alias cannot pre-empt.</returns>
    public static (string Path, bool FirstSpelling)? FirstFileHit(string name, IEnumerable<string> searchFolders, Func<string, bool> fileExists)
    {
        var folders = searchFolders.Where(f => !string.IsNullOrWhiteSpace(f)).ToList();
        string[] spellings = [$"{name}.so", $"lib{name}.so"];
        for (int s = 0; s < spellings.Length; s++)
            foreach (var folder in folders)
            {
                var path = Path.GetFullPath(Path.Combine(folder, spellings[s]));
                if (fileExists(path)) return (path, s == 0);
            }
        return null;
    }

    /// <summary>True when the two paths name the same file (after resolving a final symbolic link).</summary>
    public static bool SameFile(string a, string b) => string.Equals(Canonical(a), Canonical(b), StringComparison.Ordinal);

    /// <summary>
    /// Writes (or reuses) an alias stub with SONAME <c><paramref name="name"/>.so</c> built from
    /// <paramref name="libtorchStub"/> (a libtorch.so whose dynamic strings contain <c>lib<paramref name="name"/>.so</c>).
    /// </summary>
    /// <returns>The path of the alias in the private cache.</returns>
    /// <exception cref="ElfFormatException">The stub has no such string to point the SONAME at.</exception>
    public static string CreateAlias(string libtorchStub, string name)
    {
        var soname = $"{name}.so";
        var (path, _) = PatchedLibraryCache.GetOrCreate(libtorchStub, soname, bytes =>
        {
            ElfSonameEditor.PointSonameAt(bytes, soname, libtorchStub);
            return true;
        });
        return path;
    }

    private static string Canonical(string path)
    {
        var full = Path.GetFullPath(path);
        try
        {
            return new FileInfo(full).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? full;
        }
        catch (IOException)
        {
            return full;
        }
    }
}
