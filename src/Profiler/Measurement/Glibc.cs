using System.Runtime.InteropServices;

namespace GaLore.Profiler.Measurement;

/// <summary>The glibc malloc calls the CPU measurement uses (malloc(3), mallinfo(3), malloc_trim(3)).</summary>
internal static class Glibc
{
    /// <summary><c>struct mallinfo2</c> (ten <c>size_t</c> fields, glibc ≥ 2.33).</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct MallInfo2
    {
        public nuint arena, ordblks, smblks, hblks, hblkhd, usmblks, fsmblks, uordblks, fordblks, keepcost;
    }

    /// <summary>The allocator's counters now.</summary>
    [DllImport("libc", CallingConvention = CallingConvention.Cdecl)]
    internal static extern MallInfo2 mallinfo2();

    /// <summary>Returns free heap pages, inside the heap as well as at its top, to the OS.</summary>
    [DllImport("libc", CallingConvention = CallingConvention.Cdecl)]
    internal static extern int malloc_trim(nuint pad);
}
