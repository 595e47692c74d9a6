# The node, built once in the SDK image and run on the runtime image. docker-compose.yml runs three
# of them on one PostgreSQL; alone, `docker run -p 2525:2525 mtacluster-node` is a node on SQLite.
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY Directory.Build.props Directory.Packages.props ./
COPY cluster-config/ cluster-config/
COPY src/ src/
RUN dotnet publish src/MtaCluster.Node -c Release -o /app --nologo

FROM mcr.microsoft.com/dotnet/runtime:10.0
WORKDIR /app
COPY --from=build /app ./
COPY cluster-config/ /app/cluster-config/
# The spool (SQLite), the TLS certificate, DKIM keys and the accounting log live here.
ENV MTA_Node__DataDir=/var/lib/mtacluster
VOLUME /var/lib/mtacluster
EXPOSE 2525 2587 2465
ENTRYPOINT ["dotnet", "MtaCluster.Node.dll"]
