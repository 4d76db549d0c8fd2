// class-transformer ships no declaration beside its CommonJS storage module; its types folder has one.
declare module 'class-transformer/cjs/storage' {
  export const defaultMetadataStorage: import('class-transformer/types/MetadataStorage').MetadataStorage;
}
