import type { INestApplication } from '@nestjs/common';
import { ROUTE_ARGS_METADATA } from '@nestjs/common/constants';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum';
import { ModulesContainer } from '@nestjs/core';
import type { OpenAPIObject } from '@nestjs/swagger';
import { defaultMetadataStorage } from 'class-transformer/cjs/storage';
import { getMetadataStorage } from 'class-validator';
import type { ValidationMetadata } from 'class-validator/types/metadata/ValidationMetadata';
import { controllerRoutes } from './http-route';
import { isOptionalBody } from './validation.pipe';

type Schema = Record<string, unknown>;
type Dto = new (...args: never[]) => unknown;

/**
 * Copies the validation pipe's rules (class-validator decorators) into the OpenAPI document, so
 * the document and the validator cannot disagree: lengths, patterns, bounds, integer-ness,
 * enums, formats, `nullable` where a field accepts null, and whether the body itself is required.
 * Covers each route's body and query DTOs and the DTOs nested in them.
 */
export function documentValidationRules(app: INestApplication, document: OpenAPIObject): OpenAPIObject {
  const schemas = (document.components?.schemas ?? {}) as Record<string, Schema>;
  const seen = new Set<Dto>();
  const describeClass = (dto: Dto, schema: Schema | undefined): void => {
    if (!schema || seen.has(dto)) return;
    seen.add(dto);
    const properties = (schema.properties ?? {}) as Record<string, Schema>;
    for (const [property, rules] of rulesByProperty(dto)) {
      const target = properties[property];
      if (!target) continue;
      describeProperty(target, rules);
      const nested = defaultMetadataStorage.findTypeMetadata(dto, property)?.typeFunction() as Dto | undefined;
      if (nested && rules.some((rule) => rule.type === 'nestedValidation')) describeClass(nested, schemas[nested.name]);
    }
  };
  for (const route of routeDtos(app)) {
    const operation = (document.paths[route.path] as Record<string, { parameters?: Schema[]; requestBody?: Schema }> | undefined)?.[route.method];
    if (!operation) continue;
    if (route.body) describeClass(route.body, schemas[route.body.name]);
    if (route.body && operation.requestBody) operation.requestBody.required = !isOptionalBody(route.body);
    if (route.query) {
      const rules = rulesByProperty(route.query);
      for (const parameter of operation.parameters ?? []) {
        const found = parameter.in === 'query' ? rules.get(String(parameter.name)) : undefined;
        if (found && parameter.schema) describeProperty(parameter.schema as Schema, found);
      }
    }
  }
  return document;
}

function rulesByProperty(dto: Dto): Map<string, ValidationMetadata[]> {
  const rules = new Map<string, ValidationMetadata[]>();
  for (const rule of getMetadataStorage().getTargetValidationMetadatas(dto, '', true, false)) {
    rules.set(rule.propertyName, [...(rules.get(rule.propertyName) ?? []), rule]);
  }
  return rules;
}

function describeProperty(property: Schema, rules: ValidationMetadata[]): void {
  if (property.$ref || property.allOf) return; // a nested DTO: described as its own schema
  for (const rule of rules) {
    const target = rule.each ? ((property.items ??= {}) as Schema) : property;
    const [first, second] = (rule.constraints ?? []) as unknown[];
    switch (rule.name) {
      case 'isOptional':
        property.nullable = true; // class-validator skips every rule of an optional field that is null
        break;
      case 'isString':
        target.type ??= 'string';
        break;
      case 'isInt':
        target.type = 'integer';
        break;
      case 'isNumber':
        target.type ??= 'number';
        break;
      case 'isBoolean':
        target.type = 'boolean';
        break;
      case 'isObject':
        target.type ??= 'object';
        break;
      case 'isLength':
        target.minLength = first;
        if (second !== undefined) target.maxLength = second;
        break;
      case 'matches':
        if (first instanceof RegExp && first.flags === '') target.pattern = asciiPattern(first.source);
        break;
      case 'min':
        target.minimum = first;
        break;
      case 'max':
        target.maximum = first;
        break;
      case 'isIn':
        target.enum ??= first;
        break;
      case 'isUuid':
        target.format = 'uuid';
        break;
      case 'isIso8601':
      case 'isInstant':
        target.format = 'date-time';
        break;
      case 'minLength':
        target.minLength = first;
        break;
      case 'maxLength':
        target.maxLength = first;
        break;
      case 'arrayMinSize':
        target.minItems = first;
        break;
      case 'arrayMaxSize':
        target.maxItems = first;
        break;
    }
  }
}

/**
 * JavaScript's `\d` and `\w` are ASCII; in the document's readers (Python's `re` among them) they
 * match any script's digits and letters. Spelled out, the pattern means the same everywhere.
 */
function asciiPattern(source: string): string {
  let out = '';
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const char = source[i];
    if (char === '\\' && i + 1 < source.length) {
      const next = source[++i];
      const spelled = next === 'd' ? '0-9' : next === 'w' ? 'A-Za-z0-9_' : undefined;
      out += spelled === undefined ? `\\${next}` : inClass ? spelled : `[${spelled}]`;
      continue;
    }
    if (char === '[' && !inClass) inClass = true;
    else if (char === ']' && inClass) inClass = false;
    out += char;
  }
  return out;
}

interface RouteDtos {
  method: string;
  /** The OpenAPI template, e.g. `/jobs/{id}`. */
  path: string;
  body?: Dto;
  query?: Dto;
}

/** Each controller route's `@Body()` and `@Query()` DTO classes, read from Nest's metadata. */
function routeDtos(app: INestApplication): RouteDtos[] {
  const routes: RouteDtos[] = [];
  for (const module of app.get(ModulesContainer).values()) {
    for (const { metatype } of module.controllers.values()) {
      if (!metatype) continue;
      for (const { method, path, name } of controllerRoutes(metatype as Dto)) {
        const types = (Reflect.getMetadata('design:paramtypes', (metatype as Dto).prototype as object, name) ?? []) as Dto[];
        const args = Object.entries((Reflect.getMetadata(ROUTE_ARGS_METADATA, metatype, name) ?? {}) as Record<string, { index: number; data?: unknown }>);
        const dtoOf = (kind: RouteParamtypes) => {
          const found = args.find(([key, arg]) => key.split(':')[0] === String(kind) && arg.data === undefined);
          return found ? types[found[1].index] : undefined;
        };
        routes.push({ method: method.toLowerCase(), path: path.replace(/:(\w+)/g, '{$1}'), body: dtoOf(RouteParamtypes.BODY), query: dtoOf(RouteParamtypes.QUERY) });
      }
    }
  }
  return routes;
}
