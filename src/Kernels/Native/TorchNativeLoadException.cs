namespace GaLore.Kernels.Native;

/// <summary>
/// Thrown by <see cref="TorchNativeLoader.EnsureLoaded"/> when libtorch or TorchSharp's native
/// library (libLibTorchSharp.so) cannot be loaded. The message lists every path tried and why each
/// failed, and explains the <c>GALORE_LIBTORCH</c> environment variable.
/// </summary>
public sealed class TorchNativeLoadException : Exception
{
    /// <summary>Creates the exception with a complete, user-facing message.</summary>
    public TorchNativeLoadException(string message) : base(message) { }

    /// <summary>Creates the exception with a complete, user-facing message and the underlying cause.</summary>
    public TorchNativeLoadException(string message, Exception? inner) : base(message, inner) { }
}
