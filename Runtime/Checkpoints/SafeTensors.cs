using System;
using System.Collections.Generic;
using System.Diagnostics.CodeAnalysis;
using System.Linq;

namespace NetGen;

/// <summary>The tensors and metadata of a safetensors file, as <see cref="SafeTensorsFile.Read"/> found them.</summary>
public sealed class SafeTensors
{
    private readonly Dictionary<string, SafeTensor> _byName;

    internal SafeTensors(string path, List<SafeTensor> tensors, Dictionary<string, string> metadata)
    {
        Path = path;
        Tensors = tensors.AsReadOnly();
        Metadata = metadata.AsReadOnly();
        _byName = tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
    }

    /// <summary>The file the tensors came from, as it was named to <see cref="SafeTensorsFile.Read"/>.</summary>
    public string Path { get; }

    /// <summary>Every tensor, in the order their data sits in the file.</summary>
    public IReadOnlyList<SafeTensor> Tensors { get; }

    /// <summary>The header's <c>__metadata__</c> strings; empty when it has none.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>The tensor called <paramref name="name"/>.</summary>
    /// <exception cref="KeyNotFoundException">The file has no such tensor; the message lists the ones it has.</exception>
    public SafeTensor this[string name] =>
        TryGet(name, out var tensor) ? tensor : throw new KeyNotFoundException($"{Path}: has no tensor '{name}'; it has {DescribeNames()}.");

    /// <summary>The tensor called <paramref name="name"/>, if the file has one.</summary>
    public bool TryGet(string name, [MaybeNullWhen(false)] out SafeTensor tensor) => _byName.TryGetValue(name, out tensor);

    /// <summary>"3 tensors: a, b, c", cut short for big files so an error message stays readable.</summary>
    internal string DescribeNames(int limit = 24)
    {
        if (Tensors.Count == 0)
            return "no tensors";
        var names = Tensors.Take(limit).Select(t => t.Name);
        string more = Tensors.Count > limit ? $", ... ({Tensors.Count - limit} more)" : "";
        return $"{Tensors.Count} tensor{(Tensors.Count == 1 ? "" : "s")}: {string.Join(", ", names)}{more}";
    }
}
