using System;
using System.Collections.Generic;
using System.IO;
using System.Text.Json;
using System.Text.Unicode;

namespace NetGen;

/// <summary>
/// Parses and checks a safetensors header. Every number is checked before it is used, so a corrupt or
/// hostile file ends in an <see cref="InvalidDataException"/> that says what is wrong, never in a huge
/// allocation or a read past the data.
/// </summary>
internal static class SafeTensorsHeader
{
    /// <summary>One tensor as the header describes it; offsets are relative to the data section.</summary>
    internal sealed record Entry(string Name, string DType, long[] Shape, long ByteCount, long Begin, long End);

    /// <summary>The entries in header order and the <c>__metadata__</c> strings.</summary>
    internal static (List<Entry> Entries, Dictionary<string, string> Metadata) Parse(string path, byte[] header)
    {
        // Checked up front because System.Text.Json only notices bad UTF-8 when a string is decoded.
        if (!Utf8.IsValid(header))
            throw SafeTensorsFile.Invalid(path, "the header is not valid UTF-8");
        JsonDocument document;
        try { document = JsonDocument.Parse(header, new JsonDocumentOptions { MaxDepth = 8 }); }
        catch (JsonException e) { throw SafeTensorsFile.Invalid(path, $"the header is not valid JSON ({e.Message})", e); }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw SafeTensorsFile.Invalid(path, $"the header is a JSON {Kind(root)}, not an object");

            var entries = new List<Entry>();
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var property in root.EnumerateObject())
            {
                // JSON itself allows a repeated key; safetensors does not (it would be two tensors in one name).
                if (!seen.Add(property.Name))
                    throw SafeTensorsFile.Invalid(path, $"the header names '{property.Name}' twice");
                if (property.Name == "__metadata__")
                    ReadMetadata(path, property.Value, metadata);
                else
                    entries.Add(ReadEntry(path, property.Name, property.Value));
            }
            return (entries, metadata);
        }
    }

    /// <summary>
    /// Sorts <paramref name="entries"/> by offset and checks that they tile the data section exactly:
    /// each range as long as dtype and shape say, no overlap, no hole, ending at the end of the file.
    /// </summary>
    internal static void CheckLayout(string path, List<Entry> entries, long dataStart, long fileLength)
    {
        // Writers order the data as they please (PyTorch's sorts by dtype, then name), so order by offset.
        entries.Sort((a, b) => a.Begin != b.Begin ? a.Begin.CompareTo(b.Begin) : a.End.CompareTo(b.End));
        long covered = 0;
        Entry? previous = null;
        foreach (var entry in entries)
        {
            string range = $"data_offsets [{entry.Begin}, {entry.End}]";
            if (entry.End < entry.Begin)
                throw SafeTensorsFile.Invalid(path, $"tensor '{entry.Name}' has {range}, which end before they begin");
            if (entry.End - entry.Begin != entry.ByteCount)
                throw SafeTensorsFile.Invalid(path, $"tensor '{entry.Name}' is {entry.DType} {SafeTensor.FormatShape(entry.Shape)}, {entry.ByteCount} bytes, but its {range} cover {entry.End - entry.Begin}");
            if (entry.Begin < covered)
                throw SafeTensorsFile.Invalid(path, $"tensor '{entry.Name}' {range} overlap tensor '{previous!.Name}' [{previous.Begin}, {previous.End}]");
            if (entry.Begin > covered)
                throw SafeTensorsFile.Invalid(path, $"data bytes [{covered}, {entry.Begin}) belong to no tensor: a hole before tensor '{entry.Name}'");
            covered = entry.End;
            previous = entry;
        }

        long dataLength = fileLength - dataStart;
        // Both terms are below 2^63, so their sum fits a ulong even when the header lies.
        ulong end = (ulong)dataStart + (ulong)covered;
        if (covered > dataLength)
            throw SafeTensorsFile.Invalid(path, $"truncated: tensor '{previous!.Name}' ends at byte {end} but the file has {fileLength}");
        if (covered < dataLength)
            throw SafeTensorsFile.Invalid(path, $"{dataLength - covered} trailing bytes after the tensor data, which ends at byte {end} of {fileLength}");
    }

    private static void ReadMetadata(string path, JsonElement value, Dictionary<string, string> metadata)
    {
        if (value.ValueKind != JsonValueKind.Object)
            throw SafeTensorsFile.Invalid(path, $"__metadata__ is a JSON {Kind(value)}, not an object of strings");
        foreach (var item in value.EnumerateObject())
        {
            if (item.Value.ValueKind != JsonValueKind.String)
                throw SafeTensorsFile.Invalid(path, $"__metadata__ '{item.Name}' is a JSON {Kind(item.Value)}, not a string");
            if (!metadata.TryAdd(item.Name, item.Value.GetString()!))
                throw SafeTensorsFile.Invalid(path, $"__metadata__ names '{item.Name}' twice");
        }
    }

    private static Entry ReadEntry(string path, string name, JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.Object)
            throw SafeTensorsFile.Invalid(path, $"tensor '{name}' is a JSON {Kind(value)} in the header, not an object");

        var dtypeElement = Field(path, name, value, "dtype", JsonValueKind.String);
        string dtype = dtypeElement.GetString()!;
        int size = SafeTensor.ElementSize(dtype)
            ?? throw SafeTensorsFile.Invalid(path, $"tensor '{name}' has unknown dtype '{dtype}' (known: {SafeTensor.KnownDTypes})");

        var shapeElement = Field(path, name, value, "shape", JsonValueKind.Array);
        var shape = new long[shapeElement.GetArrayLength()];
        int i = 0;
        foreach (var dimension in shapeElement.EnumerateArray())
        {
            if (dimension.ValueKind != JsonValueKind.Number || !dimension.TryGetInt64(out long d))
                throw SafeTensorsFile.Invalid(path, $"tensor '{name}' has shape {shapeElement.GetRawText()}, whose dimension {dimension.GetRawText()} is not a whole number");
            if (d < 0)
                throw SafeTensorsFile.Invalid(path, $"tensor '{name}' has shape {shapeElement.GetRawText()}, with negative dimension {d}");
            shape[i++] = d;
        }

        var offsetsElement = Field(path, name, value, "data_offsets", JsonValueKind.Array);
        var offsets = new List<long>(2);
        foreach (var offset in offsetsElement.EnumerateArray())
            if (offset.ValueKind == JsonValueKind.Number && offset.TryGetInt64(out long o) && o >= 0)
                offsets.Add(o);
        if (offsets.Count != 2 || offsetsElement.GetArrayLength() != 2)
            throw SafeTensorsFile.Invalid(path, $"tensor '{name}' has data_offsets {offsetsElement.GetRawText()}, not two non-negative whole numbers [begin, end]");

        // Overflow here means a corrupt shape; say so rather than wrapping around to a small size.
        long? count = SafeTensor.CountElements(shape);
        if (count is null || count.Value > long.MaxValue / size)
            throw SafeTensorsFile.Invalid(path, $"tensor '{name}' has shape {SafeTensor.FormatShape(shape)}, too many elements for any file");
        return new Entry(name, dtype, shape, count.Value * size, offsets[0], offsets[1]);
    }

    private static JsonElement Field(string path, string name, JsonElement entry, string field, JsonValueKind kind)
    {
        if (!entry.TryGetProperty(field, out var element))
            throw SafeTensorsFile.Invalid(path, $"tensor '{name}' has no {field}");
        if (element.ValueKind != kind)
            throw SafeTensorsFile.Invalid(path, $"tensor '{name}' has a {field} that is a JSON {Kind(element)}, not {(kind == JsonValueKind.Array ? "an array" : "a string")}");
        return element;
    }

    private static string Kind(JsonElement element) => element.ValueKind.ToString().ToLowerInvariant();
}
