using System;
using System.Collections.Generic;
using ILGPU;
using ILGPU.Runtime;

namespace NetGen;

/// <summary>
/// The activations of one batch size and the kernel launches that fill them. The generated
/// <c>ForwardPass</c> of each network allocates its activations here, one buffer per fused group,
/// and enqueues its kernels in <see cref="Enqueue"/>.
/// </summary>
public abstract class ForwardPass : IDisposable
{
    private readonly List<(string Name, Shape Shape, MemoryBuffer1D<float, Stride1D.Dense> Buffer)> activations = [];

    /// <summary>Binds the pass to <paramref name="network"/> for batches of <paramref name="batchSize"/> images.</summary>
    protected ForwardPass(Network network, int batchSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        Network = network ?? throw new ArgumentNullException(nameof(network));
        BatchSize = batchSize;
    }

    /// <summary>The network whose parameters the pass reads.</summary>
    public Network Network { get; }

    /// <summary>Images per batch.</summary>
    public int BatchSize { get; }

    /// <summary>The names of the activations in the order the kernels write them; the first is <c>input</c>.</summary>
    public IEnumerable<string> Activations
    {
        get
        {
            foreach (var a in activations)
                yield return a.Name;
        }
    }

    /// <summary>The name of the activation the pass ends with (the probabilities when the network ends in softmax).</summary>
    public string OutputName => activations[^1].Name;

    /// <summary>
    /// Copies <paramref name="images"/> (batch x channels x height x width, NCHW) to the accelerator,
    /// runs every kernel, and returns the output: batch rows of the last activation.
    /// </summary>
    /// <param name="images">The batch, exactly <c>BatchSize * Input.Size</c> floats.</param>
    /// <param name="dropout">A training key draws dropout masks; the default evaluates without dropout.</param>
    public float[] Run(float[] images, DropoutKey dropout = default)
    {
        var input = activations[0];
        if (images.Length != (long)BatchSize * input.Shape.Size)
            throw new ArgumentException(
                $"{Network.Info.Name} takes {BatchSize} images of {input.Shape} = {(long)BatchSize * input.Shape.Size} floats; got {images.Length}.",
                nameof(images));
        input.Buffer.View.CopyFromCPU(images);
        Enqueue(dropout);
        Network.Accelerator.Synchronize();
        return Read(OutputName);
    }

    /// <summary>Enqueues every forward kernel on the accelerator's default stream, in order.</summary>
    public abstract void Enqueue(DropoutKey dropout);

    /// <summary>Copies the activation named <paramref name="name"/> (<c>conv1</c>, <c>conv1.maxpool</c>, ...) to the host.</summary>
    public float[] Read(string name) => Find(name).Buffer.GetAsArray1D();

    /// <summary>The shape of one image's slice of the activation named <paramref name="name"/>.</summary>
    public Shape ShapeOf(string name) => Find(name).Shape;

    /// <summary>Allocates an activation of <paramref name="shape"/> per image, for the whole batch.</summary>
    protected ArrayView<float> Allocate(string name, Shape shape)
    {
        long length = (long)BatchSize * shape.Size;
        if (length > int.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(BatchSize),
                $"A batch of {BatchSize} makes {name} ({shape} per image) {length} floats; the kernels index with 32-bit integers, so keep it under {int.MaxValue}.");
        var buffer = Network.Accelerator.Allocate1D<float>(length);
        activations.Add((name, shape, buffer));
        return buffer.View;
    }

    private (string Name, Shape Shape, MemoryBuffer1D<float, Stride1D.Dense> Buffer) Find(string name)
    {
        foreach (var a in activations)
            if (a.Name == name)
                return a;
        throw new ArgumentException($"{Network.Info.Name} has no activation '{name}'; it has {string.Join(", ", Activations)}.", nameof(name));
    }

    /// <summary>Frees the activations.</summary>
    public void Dispose()
    {
        foreach (var a in activations)
            a.Buffer.Dispose();
        activations.Clear();
        GC.SuppressFinalize(this);
    }
}
