using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Runtime.InteropServices;

namespace NetGen;

/// <summary>
/// One named tensor of a safetensors file: a dtype, a shape (outermost first, <c>[]</c> for a scalar)
/// and its elements as raw little-endian bytes, the way the file stores them.
/// </summary>
/// <remarks>
/// Any dtype of the format with whole-byte elements can be held (so a reader can check sizes);
/// only F32, I64 and I32 convert to .NET arrays, since those are all a network checkpoint needs.
/// </remarks>
public sealed class SafeTensor
{
    // Element sizes of the format's dtypes. Sub-byte types (F4, F6_*) are left out: their sizes are
    // bit counts, and nothing here reads them.
    private static readonly Dictionary<string, int> ElementSizes = new(StringComparer.Ordinal)
    {
        ["BOOL"] = 1, ["U8"] = 1, ["I8"] = 1, ["F8_E5M2"] = 1, ["F8_E4M3"] = 1, ["F8_E8M0"] = 1,
        ["I16"] = 2, ["U16"] = 2, ["F16"] = 2, ["BF16"] = 2,
        ["I32"] = 4, ["U32"] = 4, ["F32"] = 4,
        ["I64"] = 8, ["U64"] = 8, ["F64"] = 8, ["C64"] = 8,
    };

    // The elements are either bytes the tensor owns, or (little-endian hosts only) a run of floats in
    // someone's array: a checkpoint writes AlexNet's 61 million parameters straight from the flat
    // parameter array instead of first copying them into a second 244 MB buffer.
    private readonly byte[]? _bytes;
    private readonly float[]? _floats;
    private readonly int _floatStart;

    private SafeTensor(string name, string dtype, long[] shape, byte[]? bytes, float[]? floats, int floatStart)
    {
        Name = name;
        DType = dtype;
        Shape = shape;
        ElementCount = CountElements(shape) ?? throw new ArgumentException($"{name}: shape {FormatShape(shape)} has more elements than a long holds.", nameof(shape));
        _bytes = bytes;
        _floats = floats;
        _floatStart = floatStart;
    }

    /// <summary>A tensor of any supported dtype from its little-endian bytes, which are copied.</summary>
    /// <exception cref="ArgumentException">Unknown dtype, negative dimension, or a byte count that is not the shape's element count times the dtype's size.</exception>
    public SafeTensor(string name, string dtype, long[] shape, ReadOnlySpan<byte> data)
        : this(CheckName(name), CheckDType(name, dtype), CheckShape(name, shape), data.ToArray(), null, 0)
    {
        if (data.Length != ElementCount * ElementSize(dtype)!.Value)
            throw new ArgumentException($"{name}: {dtype} {ShapeText} needs {ElementCount * ElementSize(dtype)!.Value} bytes but {data.Length} were given.", nameof(data));
    }

    /// <summary>The tensor's name, a key of the file's header (<c>conv1.weight</c>).</summary>
    public string Name { get; }

    /// <summary>The safetensors dtype: <c>F32</c>, <c>I64</c>, <c>I32</c>, ...</summary>
    public string DType { get; }

    /// <summary>The dimensions, outermost first; empty for a scalar.</summary>
    public IReadOnlyList<long> Shape { get; }

    /// <summary>The product of the dimensions (1 for a scalar).</summary>
    public long ElementCount { get; }

    /// <summary>How many bytes the elements take in the file.</summary>
    public long ByteCount => ElementCount * ElementSize(DType)!.Value;

    /// <summary>The shape as PyTorch prints it: <c>(96, 3, 11, 11)</c>, <c>()</c> for a scalar.</summary>
    public string ShapeText => FormatShape(Shape);

    /// <summary>The elements' little-endian bytes, without a copy.</summary>
    public ReadOnlySpan<byte> Bytes => _bytes ?? MemoryMarshal.AsBytes(_floats.AsSpan(_floatStart, checked((int)ElementCount)));

    /// <summary>A float32 tensor; <paramref name="values"/> is copied, so later changes to it do not show.</summary>
    public static SafeTensor Float32(string name, float[] values, params long[] shape)
    {
        ArgumentNullException.ThrowIfNull(values);
        return Float32Slice(name, values.AsSpan().ToArray(), 0, values.Length, shape);
    }

    /// <summary>An int64 tensor; <paramref name="values"/> is copied.</summary>
    public static SafeTensor Int64(string name, long[] values, params long[] shape)
    {
        ArgumentNullException.ThrowIfNull(values);
        CheckCount(name, values.Length, shape);
        var bytes = new byte[values.Length * 8L];
        for (int i = 0; i < values.Length; i++)
            BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(i * 8), values[i]);
        return new SafeTensor(name, "I64", shape.AsSpan().ToArray(), bytes, null, 0);
    }

    /// <summary>An int32 tensor; <paramref name="values"/> is copied.</summary>
    public static SafeTensor Int32(string name, int[] values, params long[] shape)
    {
        ArgumentNullException.ThrowIfNull(values);
        CheckCount(name, values.Length, shape);
        var bytes = new byte[values.Length * 4L];
        for (int i = 0; i < values.Length; i++)
            BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(i * 4), values[i]);
        return new SafeTensor(name, "I32", shape.AsSpan().ToArray(), bytes, null, 0);
    }

    /// <summary>
    /// A float32 tensor over <c>source[start .. start + count)</c>. On a little-endian host it keeps a
    /// reference to <paramref name="source"/> instead of copying, so the caller must leave those
    /// floats alone until the tensor is written.
    /// </summary>
    internal static SafeTensor Float32Slice(string name, float[] source, int start, int count, long[] shape)
    {
        CheckCount(name, count, shape);
        var ownShape = shape.AsSpan().ToArray();
        if (BitConverter.IsLittleEndian)
            return new SafeTensor(name, "F32", ownShape, null, source, start);
        var bytes = new byte[count * 4L];
        for (int i = 0; i < count; i++)
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), source[start + i]);
        return new SafeTensor(name, "F32", ownShape, bytes, null, 0);
    }

    /// <summary>Adopts bytes the reader has already checked against dtype and shape.</summary>
    internal static SafeTensor FromFile(string name, string dtype, long[] shape, byte[] bytes) =>
        new(name, dtype, shape, bytes, null, 0);

    /// <summary>The elements as floats (a new array).</summary>
    /// <exception cref="InvalidOperationException">The tensor is not F32.</exception>
    public float[] ToFloats()
    {
        var values = new float[checked((int)ElementCount)];
        CopyFloatsTo(values);
        return values;
    }

    /// <summary>Copies the F32 elements into <paramref name="destination"/>, which must be exactly as long.</summary>
    /// <exception cref="InvalidOperationException">The tensor is not F32.</exception>
    public void CopyFloatsTo(Span<float> destination)
    {
        if (DType != "F32")
            throw new InvalidOperationException($"{Name} is {DType} {ShapeText}, not F32; only F32 tensors convert to floats.");
        if (destination.Length != ElementCount)
            throw new ArgumentException($"{Name} has {ElementCount} elements but the destination holds {destination.Length}.", nameof(destination));
        if (_floats is not null)
        {
            _floats.AsSpan(_floatStart, destination.Length).CopyTo(destination);
            return;
        }
        if (BitConverter.IsLittleEndian)
        {
            MemoryMarshal.Cast<byte, float>(_bytes).CopyTo(destination);
            return;
        }
        for (int i = 0; i < destination.Length; i++)
            destination[i] = BinaryPrimitives.ReadSingleLittleEndian(_bytes.AsSpan(i * 4));
    }

    /// <summary>The elements as 64-bit integers (a new array), from an I64 or I32 tensor.</summary>
    /// <exception cref="InvalidOperationException">The tensor is neither I64 nor I32.</exception>
    public long[] ToInt64s()
    {
        if (DType is not ("I64" or "I32"))
            throw new InvalidOperationException($"{Name} is {DType} {ShapeText}, not I64 or I32; only those convert to integers.");
        var bytes = Bytes;
        var values = new long[checked((int)ElementCount)];
        if (DType == "I64")
            for (int i = 0; i < values.Length; i++)
                values[i] = BinaryPrimitives.ReadInt64LittleEndian(bytes.Slice(i * 8));
        else
            for (int i = 0; i < values.Length; i++)
                values[i] = BinaryPrimitives.ReadInt32LittleEndian(bytes.Slice(i * 4));
        return values;
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Name}: {DType} {ShapeText}";

    /// <summary>Writes the elements' bytes to <paramref name="stream"/> in pieces, so no tensor needs a contiguous byte copy.</summary>
    internal void WriteTo(Stream stream)
    {
        if (_bytes is not null)
        {
            stream.Write(_bytes);
            return;
        }
        const int Chunk = 1 << 22; // 16 MB of floats per write keeps each span's byte length far from int.MaxValue
        for (long done = 0; done < ElementCount; done += Chunk)
        {
            int count = (int)Math.Min(Chunk, ElementCount - done);
            stream.Write(MemoryMarshal.AsBytes(_floats.AsSpan(_floatStart + (int)done, count)));
        }
    }

    /// <summary>Bytes per element of a dtype, or null for one this reader does not know.</summary>
    internal static int? ElementSize(string dtype) => ElementSizes.TryGetValue(dtype, out int size) ? size : null;

    /// <summary>The dtypes <see cref="ElementSize"/> knows, for error messages.</summary>
    internal static string KnownDTypes => string.Join(", ", ElementSizes.Keys);

    /// <summary>The product of the dimensions, or null when it overflows a long (a corrupt header).</summary>
    internal static long? CountElements(IReadOnlyList<long> shape)
    {
        long count = 1;
        foreach (long dimension in shape)
        {
            if (dimension < 0)
                return null;
            try { count = checked(count * dimension); }
            catch (OverflowException) { return null; }
        }
        return count;
    }

    /// <summary><c>(96, 3, 11, 11)</c>: PyTorch's way, so messages read like <c>torch.Size</c>.</summary>
    internal static string FormatShape(IEnumerable<long> shape) =>
        "(" + string.Join(", ", EnumerateInvariant(shape)) + ")";

    private static IEnumerable<string> EnumerateInvariant(IEnumerable<long> shape)
    {
        foreach (long dimension in shape)
            yield return dimension.ToString(CultureInfo.InvariantCulture);
    }

    private static void CheckCount(string name, long count, long[] shape)
    {
        CheckName(name);
        CheckShape(name, shape);
        long? expected = CountElements(shape);
        if (expected != count)
            throw new ArgumentException($"{name}: shape {FormatShape(shape)} holds {expected} elements but {count} values were given.", nameof(shape));
    }

    private static string CheckName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        // The header's one reserved key; a tensor by that name could not be told from the metadata.
        if (name == "__metadata__")
            throw new ArgumentException("A tensor cannot be named __metadata__, the header's metadata key.", nameof(name));
        return name;
    }

    private static string CheckDType(string name, string dtype)
    {
        ArgumentNullException.ThrowIfNull(dtype);
        if (ElementSize(dtype) is null)
            throw new ArgumentException($"{name}: unknown dtype '{dtype}'; known: {KnownDTypes}.", nameof(dtype));
        return dtype;
    }

    private static long[] CheckShape(string name, long[] shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        foreach (long dimension in shape)
            if (dimension < 0)
                throw new ArgumentException($"{name}: shape {FormatShape(shape)} has a negative dimension.", nameof(shape));
        return shape.AsSpan().ToArray();
    }
}
