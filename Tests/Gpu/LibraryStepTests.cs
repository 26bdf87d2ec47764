using System;
using System.Linq;
using NetGen.Networks;
using Xunit;

namespace NetGen.Tests.Gpu;

/// <summary>
/// Whole networks on the ILGPU backend with the kernel library against the generated kernels it
/// replaces, on the <c>ilgpu-gpu</c> device (ILGPU's CPU accelerator shaped like an NVIDIA GPU):
/// one step's loss and parameter gradients from the same weights and images. The library runs the
/// convolutions' and dense layers' forward products and their parameter gradients; the two sides
/// differ in the order they sum, so each tensor is held to a normwise relative difference.
/// AlexNet is not here: one step of it on the simulator takes two minutes a side, and at batch 1
/// from N(0, 0.01) weights a ReLU near 0 in conv2 decides the other way, which moves conv1's
/// gradient by 2.6% (the device script compares AlexNet's step on a GPU, allowing for such ties).
/// </summary>
public sealed class LibraryStepTests
{
    [Theory]
    [InlineData("minialexnet", 2)]
    [InlineData("resnet8", 2)]
    public void StepGradientsEqualTheGeneratedKernels(string name, int batch)
    {
        using var device = Device.Open("ilgpu-gpu");
        var (library, info, libraryLoss) = Gradients(device, name, batch, useLibrary: true);
        var (generated, _, generatedLoss) = Gradients(device, name, batch, useLibrary: false);
        Assert.Equal(generatedLoss, libraryLoss, 1e-5 * generatedLoss);
        Assert.False(library.SequenceEqual(generated), "the same bits on both sides: the library was not launched");
        foreach (var tensor in info.Parameters.Where(t => t.Trainable))
        {
            var a = library.AsSpan((int)tensor.Offset, (int)tensor.Count).ToArray();
            var b = generated.AsSpan((int)tensor.Offset, (int)tensor.Count).ToArray();
            double norm = Math.Sqrt(b.Sum(v => (double)v * v)), difference = Math.Sqrt(a.Zip(b, (x, y) => ((double)x - y) * ((double)x - y)).Sum());
            Assert.True(norm > 0, $"{tensor.Name}: the generated kernels' gradient is all zero, so it tests nothing");
            Assert.True(difference <= 1e-5 * norm, $"{tensor.Name}: the library's gradient is {difference / norm:E2} of its norm away from the generated kernels'");
        }
    }

    [Fact]
    public void TheCpuAcceleratorsSmallGroupsKeepTheGeneratedKernels()
    {
        using var device = Device.Open("ilgpu-cpu");
        using var net = new MiniAlexNet(device, 1);
        Assert.False(net.UsesKernelLibrary);
        Assert.Throws<InvalidOperationException>(() => net.UsesKernelLibrary = true);
    }

    private static (float[] Gradients, NetworkInfo Info, double Loss) Gradients(Device device, string name, int batch, bool useLibrary)
    {
        using Network net = name == "resnet8" ? new ResNet8(device, 5) : new MiniAlexNet(device, 5);
        Assert.True(net.UsesKernelLibrary, "ilgpu-gpu runs groups of 256, so the library is on by default");
        net.UsesKernelLibrary = useLibrary;
        using var trainer = new Trainer(net, seed: 6);
        var images = Enumerable.Range(0, batch * net.Info.Input.Size).Select(i => CounterHash.Uniform(7, 0, (ulong)i) * 2f - 1f).ToArray();
        int[] labels = [.. new[] { 3, 8 }.Take(batch)];
        var result = trainer.ComputeGradients(images, labels, dropout: false);
        return (trainer.ReadGradients(), net.Info, result.Loss);
    }
}
