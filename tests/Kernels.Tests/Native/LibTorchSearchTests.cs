using GaLore.Kernels.Native;

namespace GaLore.Kernels.Tests.Native;

/// <summary>Folder resolution as a pure function of a fake environment and a fake file system.</summary>
public sealed class LibTorchSearchTests
{
    private const string App = "/app/bin";
    private static readonly string[] AppFolders = [App];

    private static Func<string, string?> Env(params (string Name, string Value)[] vars)
    {
        var map = vars.ToDictionary(v => v.Name, v => v.Value);
        return name => map.GetValueOrDefault(name);
    }

    private static (Func<string, bool> File, Func<string, bool> Folder) Fs(params string[] files)
    {
        var set = files.ToHashSet();
        return (set.Contains, dir => set.Any(f => f.StartsWith(dir.TrimEnd('/') + "/", StringComparison.Ordinal)));
    }

    private static string[] LibTorchIn(string folder) =>
        LibTorchSearch.RequiredLibraries.Select(f => $"{folder}/{f}").ToArray();

    [Fact]
    public void Without_the_variable_the_app_folders_come_first_then_the_nuget_cache()
    {
        var folders = LibTorchSearch.LibTorchFolders(Env(("HOME", "/home/u")), AppFolders);

        Assert.Equal(
            [("/app/bin", "app folder"), ("/app/bin/runtimes/linux-x64/native", "app folder"),
             ("/home/u/.nuget/packages/libtorch-cpu-linux-x64/2.10.0/runtimes/linux-x64/native", "NuGet cache")],
            folders.Select(f => (f.Location, f.Origin)));
    }

    [Fact]
    public void Nuget_packages_overrides_home()
    {
        var folders = LibTorchSearch.LibTorchFolders(Env(("HOME", "/home/u"), ("NUGET_PACKAGES", "/pkgs")), AppFolders);
        Assert.Equal("/pkgs/libtorch-cpu-linux-x64/2.10.0/runtimes/linux-x64/native", folders[^1].Location);
    }

    [Fact]
    public void The_variable_is_the_only_candidate_so_mistakes_are_not_hidden()
    {
        var folders = LibTorchSearch.LibTorchFolders(Env(("GALORE_LIBTORCH", "/opt/venv/lib/python3.12/site-packages/torch/lib/"), ("HOME", "/home/u")), AppFolders);

        Assert.Equal(
            [("/opt/venv/lib/python3.12/site-packages/torch/lib", "GALORE_LIBTORCH"),
             ("/opt/venv/lib/python3.12/site-packages/torch/lib/lib", "GALORE_LIBTORCH/lib")],
            folders.Select(f => (f.Location, f.Origin)));
    }

    [Fact]
    public void The_pytorch_package_root_is_accepted_through_its_lib_subfolder()
    {
        var (file, folder) = Fs(LibTorchIn("/opt/torch/lib"));
        var choice = LibTorchSearch.Choose(LibTorchSearch.LibTorchFolders(Env(("GALORE_LIBTORCH", "/opt/torch")), AppFolders), file, folder);
        Assert.Equal("/opt/torch/lib", choice.Chosen?.Location);
    }

    [Fact]
    public void Bogus_variable_explains_every_candidate()
    {
        var (file, folder) = Fs(LibTorchIn("/app/bin/runtimes/linux-x64/native")); // a good fallback exists but must not be used
        var choice = LibTorchSearch.Choose(LibTorchSearch.LibTorchFolders(Env(("GALORE_LIBTORCH", "/nope")), AppFolders), file, folder);

        Assert.Null(choice.Chosen);
        Assert.Equal(["/nope (GALORE_LIBTORCH): folder does not exist", "/nope/lib (GALORE_LIBTORCH/lib): folder does not exist"], choice.Rejected);
    }

    [Fact]
    public void Incomplete_folders_are_skipped_with_the_missing_files_named()
    {
        var (file, folder) = Fs([.. LibTorchIn("/home/u/.nuget/packages/libtorch-cpu-linux-x64/2.10.0/runtimes/linux-x64/native"),
                                 "/app/bin/libc10.so", "/app/bin/TorchSharp.dll"]);
        var choice = LibTorchSearch.Choose(LibTorchSearch.LibTorchFolders(Env(("HOME", "/home/u")), AppFolders), file, folder);

        Assert.Equal("NuGet cache", choice.Chosen?.Origin);
        Assert.Equal(["/app/bin (app folder): missing libtorch_cpu.so, libtorch.so",
                      "/app/bin/runtimes/linux-x64/native (app folder): folder does not exist"], choice.Rejected);
    }

    [Fact]
    public void Native_search_directories_are_not_nested_twice()
    {
        var folders = LibTorchSearch.LibTorchFolders(Env(), ["/app/bin/runtimes/linux-x64/native/", "/app/bin"]);
        Assert.Equal(["/app/bin/runtimes/linux-x64/native", "/app/bin"], folders.Select(f => f.Location));
    }

    [Fact]
    public void Libtorch_sharp_comes_from_the_app_folders_then_the_torchsharp_package()
    {
        var files = LibTorchSearch.LibTorchSharpFiles(Env(("HOME", "/h")), AppFolders, "0.107.0");
        Assert.Equal(
            ["/app/bin/libLibTorchSharp.so", "/app/bin/runtimes/linux-x64/native/libLibTorchSharp.so",
             "/h/.nuget/packages/torchsharp/0.107.0/runtimes/linux-x64/native/libLibTorchSharp.so"],
            files.Select(f => f.Location));
    }

    [Theory]
    [InlineData("version.py", "__version__ = '2.10.0+cu128'\ndebug = False\n", "2.10.0+cu128", true)]
    [InlineData("version.py", "__version__ = \"2.9.1\"\n", "2.9.1", false)]
    [InlineData("build-version", "2.10.0+cpu\n", "2.10.0+cpu", true)]
    public void Declared_version_is_read_from_pytorch_or_libtorch_layouts(string file, string content, string expected, bool compatible)
    {
        var files = new Dictionary<string, string> { [$"/opt/torch/{file}"] = content };
        var declared = LibTorchSearch.DeclaredVersion("/opt/torch/lib", files.GetValueOrDefault);
        Assert.Equal(expected, declared);
        Assert.Equal(compatible, LibTorchSearch.SameMinorVersion(declared!, LibTorchSearch.LibTorchPackageVersion));
    }

    [Fact]
    public void Name_probe_follows_the_runtimes_spelling_order()
    {
        string[] dirs = ["/app/bin/runtimes/linux-x64/native", "/app/bin"];
        var (file, _) = Fs("/app/bin/runtimes/linux-x64/native/libtorch_cpu.so", "/app/bin/torch_cpu.so");
        Assert.Equal(("/app/bin/torch_cpu.so", true), TorchSharpNameProbe.FirstFileHit("torch_cpu", dirs, file));

        var (onlyLib, _) = Fs("/app/bin/runtimes/linux-x64/native/libtorch_cpu.so");
        Assert.Equal(("/app/bin/runtimes/linux-x64/native/libtorch_cpu.so", false), TorchSharpNameProbe.FirstFileHit("torch_cpu", dirs, onlyLib));
        Assert.Null(TorchSharpNameProbe.FirstFileHit("torch_cuda", dirs, onlyLib));
    }
}
