namespace GaLore.Kernels.Tests;

/// <summary>
/// Tests that touch process-wide TorchSharp/native-loader state (or process environment variables
/// the loader reads) run in this collection, one at a time and never beside another collection.
/// </summary>
[CollectionDefinition("torch", DisableParallelization = true)]
public sealed class TorchCollection
{
}
