using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Threading.Tasks;
using ILGPU;
using ILGPU.Runtime;

namespace NetGen.Cpu;

/// <summary>
/// The CPU backend's access to memory. Its buffers are ILGPU buffers on a CPU accelerator, which
/// live in host memory, so the same passes, checkpoints and tests serve both backends; here they
/// become pointers.
/// </summary>
internal static unsafe class Host
{
    [ThreadStatic] private static Scratch[]? scratch;

    /// <summary>The slot of <see cref="Gemm"/>'s partial products.</summary>
    public const int GemmSlot = 8;

    /// <summary>The host address of <paramref name="view"/>'s first element.</summary>
    public static float* Pointer(ArrayView<float> view) => (float*)view.LoadEffectiveAddressAsPtr();

    /// <summary>The host address of <paramref name="view"/>'s first element.</summary>
    public static int* Pointer(ArrayView<int> view) => (int*)view.LoadEffectiveAddressAsPtr();

    /// <summary>
    /// A work area of at least <paramref name="bytes"/>, one per <paramref name="slot"/> and calling
    /// thread, kept between calls: the convolution's lowered input is tens of megabytes, and
    /// allocating it afresh each call would cost page faults on every step.
    /// </summary>
    public static void* Scratch(int slot, long bytes)
    {
        scratch ??= new Scratch[GemmSlot + 1];
        ref var s = ref scratch[slot];
        if (s.Bytes < bytes)
        {
            NativeMemory.AlignedFree(s.Data);
            s.Data = NativeMemory.AlignedAlloc((nuint)bytes, 64);
            s.Bytes = bytes;
        }
        return s.Data;
    }

    /// <summary>
    /// The lanes below <paramref name="count"/> (none when it is 0 or less, all 16 from 16 on), as a mask.
    /// </summary>
    /// <remarks>
    /// A comparison with <see cref="Vector512{T}.Indices"/>, a constant to the JIT, and inlined:
    /// methods marked AggressiveOptimization are compiled before any static field is read, so a
    /// <c>static readonly</c> vector is not folded, and this method, reading one, was a call that
    /// returned its mask through memory, four times per 16 outputs of the max pool's backward pass.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> FirstLanes(int count) => Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(count)).AsSingle();

    /// <summary>Runs <paramref name="body"/> for 0..count-1 over the cores, or inline when the work is small.</summary>
    public static void For(int count, long workPerItem, Action<int> body)
    {
        if (count == 1 || count * workPerItem < 1 << 15)
        {
            for (int i = 0; i < count; i++)
                body(i);
            return;
        }
        Parallel.For(0, count, body);
    }
}

internal unsafe struct Scratch
{
    public void* Data;
    public long Bytes;
}
