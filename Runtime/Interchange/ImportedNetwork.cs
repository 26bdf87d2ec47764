using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;

namespace NetGen;

/// <summary>
/// An ONNX model read into NetGen's language by <see cref="OnnxImport.Read(string, string, string?)"/>:
/// the <c>[Network]</c> declaration, ready to build, and the weights under the generated network's
/// parameter names. Everything is checked before it exists, so <see cref="Write"/> has nothing left to refuse.
/// </summary>
public sealed class ImportedNetwork
{
    internal ImportedNetwork(string name, string declaration, IReadOnlyList<SafeTensor> tensors, IReadOnlyDictionary<string, string> metadata, int layers)
    {
        Name = name;
        Declaration = declaration;
        Tensors = tensors;
        Metadata = metadata;
        LayerCount = layers;
    }

    /// <summary>The class's name.</summary>
    public string Name { get; }

    /// <summary>The declaration's C# source: <c>[Network(...)] public sealed partial class Name { ... }</c>.</summary>
    public string Declaration { get; }

    /// <summary>
    /// The weights, named as the compiled network's parameters (<c>conv1.weight</c>, <c>conv1.bn.running_mean</c>,
    /// ...), with PyTorch's layouts; <c>num_batches_tracked</c>, which ONNX does not keep, is 0.
    /// </summary>
    public IReadOnlyList<SafeTensor> Tensors { get; }

    /// <summary>What the weights file's metadata holds: <c>format</c>, the network's name and the model's file.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>How many layers the declaration has.</summary>
    public int LayerCount { get; }

    /// <summary>The declaration's file name: <c>Name.cs</c>.</summary>
    public string DeclarationFile => Name + ".cs";

    /// <summary>The weights' file name: <c>Name.safetensors</c>.</summary>
    public string WeightsFile => Name + ".safetensors";

    /// <summary>
    /// Writes <see cref="DeclarationFile"/> and <see cref="WeightsFile"/> into <paramref name="directory"/>
    /// (created if missing), replacing files of those names; each is written beside its target and
    /// renamed over it only once both are complete. Returns their paths.
    /// </summary>
    public (string Declaration, string Weights) Write(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        Directory.CreateDirectory(directory);
        string declaration = Path.Combine(directory, DeclarationFile), weights = Path.Combine(directory, WeightsFile);
        string suffix = AtomicFile.TemporarySuffix + Guid.NewGuid().ToString("N");
        var written = new List<string>();
        try
        {
            SafeTensorsFile.Write(weights + suffix, Tensors, Metadata);
            written.Add(weights + suffix);
            AtomicFile.Write(declaration + suffix, stream => stream.Write(Encoding.UTF8.GetBytes(Declaration)));
            written.Add(declaration + suffix);
            File.Move(weights + suffix, weights, overwrite: true);
            File.Move(declaration + suffix, declaration, overwrite: true);
        }
        finally
        {
            foreach (string temporary in written.Where(File.Exists))
                File.Delete(temporary);
        }
        return (declaration, weights);
    }
}
