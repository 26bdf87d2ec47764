using System;
using System.Buffers.Binary;
using System.IO;
using System.IO.Compression;
using System.Linq;

namespace NetGen.Data;

/// <summary>
/// An IDX file (the MNIST and Fashion-MNIST format), raw or gzipped: two zero bytes, a type byte
/// (0x08: unsigned bytes, the only type these datasets use), the number of dimensions, each
/// dimension as a big-endian 32-bit integer, then the data.
/// </summary>
/// <param name="Path">The file it came from.</param>
/// <param name="Dimensions">The dimensions, outermost first: (images, rows, columns) or (labels).</param>
/// <param name="Data">The unsigned bytes, row-major.</param>
public sealed record IdxFile(string Path, int[] Dimensions, byte[] Data)
{
    private const byte UnsignedByte = 0x08;

    /// <summary>Reads and checks <paramref name="path"/>; a name ending in <c>.gz</c>, or gzip's magic bytes, means gzipped.</summary>
    /// <exception cref="InvalidDataException">The header is malformed, the type is not unsigned bytes, or the data is shorter or longer than the header says.</exception>
    public static IdxFile Read(string path)
    {
        byte[] bytes = Decompress(path, File.ReadAllBytes(path));
        if (bytes.Length < 4)
            throw Invalid(path, $"holds {bytes.Length} bytes, fewer than an IDX header's 4");
        if (bytes[0] != 0 || bytes[1] != 0)
            throw Invalid(path, $"does not start with an IDX header (its first bytes are {bytes[0]:X2} {bytes[1]:X2}, not 00 00)");
        if (bytes[2] != UnsignedByte)
            throw Invalid(path, $"holds data of IDX type 0x{bytes[2]:X2}; NetGen reads type 0x08 (unsigned bytes), which MNIST and Fashion-MNIST use");
        int rank = bytes[3];
        if (rank == 0 || bytes.Length < 4 + 4 * rank)
            throw Invalid(path, $"is truncated in its header: {rank} dimensions need {4 + 4 * rank} bytes, the file holds {bytes.Length}");
        var dimensions = new int[rank];
        long expected = 1;
        for (int d = 0; d < rank; d++)
        {
            uint size = BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(4 + 4 * d));
            if (size == 0 || size > int.MaxValue)
                throw Invalid(path, $"has dimension {d} of size {size}");
            dimensions[d] = (int)size;
            expected *= size;
            if (expected > Array.MaxLength)
                throw Invalid(path, $"declares more data ({string.Join(" x ", dimensions.Take(d + 1))}...) than one array can hold");
        }
        int offset = 4 + 4 * rank;
        long actual = bytes.Length - offset;
        if (actual != expected)
            throw Invalid(path, actual < expected
                ? $"is truncated: its header promises {string.Join(" x ", dimensions)} = {expected:N0} bytes of data, the file holds {actual:N0}"
                : $"has {actual - expected:N0} bytes after the {string.Join(" x ", dimensions)} = {expected:N0} its header promises");
        return new IdxFile(path, dimensions, bytes[offset..]);
    }

    /// <summary>Writes <paramref name="data"/> with <paramref name="dimensions"/> as an IDX file of unsigned bytes, gzipped when the name ends in <c>.gz</c>.</summary>
    public static void Write(string path, int[] dimensions, byte[] data)
    {
        ArgumentNullException.ThrowIfNull(dimensions);
        ArgumentNullException.ThrowIfNull(data);
        if (dimensions.Aggregate(1L, (a, d) => a * d) != data.Length)
            throw new ArgumentException($"{string.Join(" x ", dimensions)} is not {data.Length} bytes.", nameof(data));
        using var file = File.Create(path);
        using Stream stream = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? new GZipStream(file, CompressionLevel.SmallestSize) : file;
        stream.Write([0, 0, UnsignedByte, (byte)dimensions.Length]);
        Span<byte> size = stackalloc byte[4];
        foreach (int d in dimensions)
        {
            BinaryPrimitives.WriteInt32BigEndian(size, d);
            stream.Write(size);
        }
        stream.Write(data);
    }

    private static byte[] Decompress(string path, byte[] bytes)
    {
        bool gzip = bytes.Length >= 2 && bytes[0] == 0x1F && bytes[1] == 0x8B;
        if (!gzip)
        {
            if (path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) && bytes.Length > 0)
                throw Invalid(path, "is named .gz but does not start with gzip's magic bytes 1F 8B");
            return bytes;
        }
        try
        {
            using var input = new GZipStream(new MemoryStream(bytes), CompressionMode.Decompress);
            using var output = new MemoryStream();
            input.CopyTo(output);
            return output.ToArray();
        }
        catch (InvalidDataException e)
        {
            throw Invalid(path, $"is a damaged gzip stream ({e.Message})");
        }
    }

    private static InvalidDataException Invalid(string path, string problem) => new($"{path}: IDX file {problem}.");
}
