using GaLore.Kernels.Native;

namespace GaLore.Profiler.Tests;

/// <summary>Tests that touch TorchSharp (global seeds, threads, native state) or start child processes run in
/// this collection, one at a time and never beside another collection. Its fixture loads TorchSharp's natives
/// before any test of the collection runs: a test that touched <c>torch</c> first would make TorchSharp try to
/// load the unpatched library itself, and that failure cannot be undone in the process.</summary>
[CollectionDefinition("torch", DisableParallelization = true)]
public sealed class TorchCollection : ICollectionFixture<TorchLoaded>
{
}

/// <summary>Loads TorchSharp's natives (<see cref="TorchNativeLoader.EnsureLoaded"/>).</summary>
public sealed class TorchLoaded
{
    public TorchLoaded() => TorchNativeLoader.EnsureLoaded();
}
