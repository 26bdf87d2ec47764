using System;
using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace NetGen;

/// <summary>
/// Reads and writes the safetensors format: an 8-byte little-endian header length N, N bytes of
/// UTF-8 JSON naming each tensor's dtype, shape and byte range (<c>data_offsets</c>, relative to the
/// data that follows), then the tensors' little-endian bytes, back to back with no gaps.
/// </summary>
public static class SafeTensorsFile
{
    // The reference implementation refuses bigger headers; so do we, so a corrupt length never
    // allocates more than this.
    private const long MaxHeaderBytes = 100_000_000;

    private const string MetadataKey = "__metadata__";

    /// <summary>
    /// Writes <paramref name="tensors"/>, in the order given, and <paramref name="metadata"/> to
    /// <paramref name="path"/>. Atomic: the file is written beside the target under a temporary name,
    /// flushed to disk and renamed over it, so a reader sees the old file or the new one, never half of one.
    /// </summary>
    /// <exception cref="ArgumentException">Two tensors share a name.</exception>
    public static void Write(string path, IEnumerable<SafeTensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(tensors);

        // Enumerate everything before touching the disk: the header needs every offset first, and an
        // enumerator that throws then leaves no file behind.
        var list = new List<SafeTensor>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var tensor in tensors)
        {
            ArgumentNullException.ThrowIfNull(tensor, nameof(tensors));
            if (!names.Add(tensor.Name))
                throw new ArgumentException($"Two tensors are named '{tensor.Name}'; safetensors names must be unique.", nameof(tensors));
            list.Add(tensor);
        }
        byte[] header = BuildHeader(list, metadata);

        AtomicFile.Write(path, stream =>
        {
            Span<byte> length = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
            stream.Write(length);
            stream.Write(header);
            foreach (var tensor in list)
                tensor.WriteTo(stream);
        });
    }

    /// <summary>
    /// Reads every tensor of a safetensors file, after checking that the header describes the file
    /// exactly: known dtypes, sizes that match shapes, byte ranges that tile the data with no hole or
    /// overlap and end where the file ends.
    /// </summary>
    /// <exception cref="InvalidDataException">The file is truncated or malformed; the message starts with <paramref name="path"/>.</exception>
    public static SafeTensors Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path))
            throw new FileNotFoundException($"{path}: no such file{(Directory.Exists(path) ? " (it is a folder)" : "")}.", path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 20);
        long fileLength = stream.Length;
        if (fileLength < 8)
            throw Invalid(path, $"the file has {fileLength} bytes, too few for the 8-byte header length");

        Span<byte> prefix = stackalloc byte[8];
        stream.ReadExactly(prefix);
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        // Checked against the file before anything is allocated, so a corrupt length like 2^60 costs nothing.
        if (headerLength > (ulong)(fileLength - 8))
            throw Invalid(path, $"header length {headerLength} is larger than the file ({fileLength} bytes, {fileLength - 8} after the length)");
        if (headerLength > MaxHeaderBytes)
            throw Invalid(path, $"header length {headerLength} is over the format's limit of {MaxHeaderBytes} bytes");

        var headerBytes = new byte[(int)headerLength];
        stream.ReadExactly(headerBytes);
        var (entries, metadata) = SafeTensorsHeader.Parse(path, headerBytes);

        long dataStart = 8 + (long)headerLength;
        SafeTensorsHeader.CheckLayout(path, entries, dataStart, fileLength);

        // CheckLayout sorted the entries by offset and proved they tile the data, so one sequential
        // pass reads them, each into an array no bigger than the file.
        var tensors = new List<SafeTensor>(entries.Count);
        foreach (var entry in entries)
        {
            long size = entry.End - entry.Begin;
            if (size > Array.MaxLength)
                throw Invalid(path, $"tensor '{entry.Name}' has {size} bytes, more than one .NET array holds");
            var bytes = new byte[size];
            try { stream.ReadExactly(bytes); }
            catch (EndOfStreamException e) { throw Invalid(path, $"truncated while reading tensor '{entry.Name}' (did the file change?)", e); }
            tensors.Add(SafeTensor.FromFile(entry.Name, entry.DType, entry.Shape, bytes));
        }
        return new SafeTensors(path, tensors, metadata);
    }

    /// <summary>The JSON header, padded with spaces so the data starts 8-byte aligned (as the reference writer does).</summary>
    private static byte[] BuildHeader(List<SafeTensor> tensors, IReadOnlyDictionary<string, string>? metadata)
    {
        var buffer = new ArrayBufferWriter<byte>();
        // Relaxed escaping keeps names like "a+b" readable in the header; the file is never HTML.
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                json.WriteStartObject(MetadataKey);
                foreach (var (key, value) in metadata)
                    json.WriteString(key ?? throw new ArgumentException("A metadata key is null.", nameof(metadata)),
                        value ?? throw new ArgumentException($"Metadata '{key}' is null; values must be strings.", nameof(metadata)));
                json.WriteEndObject();
            }
            long offset = 0;
            foreach (var tensor in tensors)
            {
                json.WriteStartObject(tensor.Name);
                json.WriteString("dtype", tensor.DType);
                json.WriteStartArray("shape");
                foreach (long dimension in tensor.Shape)
                    json.WriteNumberValue(dimension);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                offset += tensor.ByteCount;
                json.WriteNumberValue(offset);
                json.WriteEndArray();
                json.WriteEndObject();
            }
            json.WriteEndObject();
        }
        int padding = (8 - buffer.WrittenCount % 8) % 8;
        buffer.GetSpan(padding)[..padding].Fill((byte)' ');
        buffer.Advance(padding);
        return buffer.WrittenSpan.ToArray();
    }

    internal static InvalidDataException Invalid(string path, string problem, Exception? inner = null) =>
        new($"{path}: {problem}.", inner);
}
