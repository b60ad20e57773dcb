import { Controller, Delete, Get, Post, Put, Req, Res } from '@nestjs/common';
import {
  ApiBody,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiQuery,
  ApiResponse,
  ApiSecurity,
  ApiTags,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { Step, http } from '../core/steps/step.decorator.js';
import { AdvowareProxyService } from './advoware-proxy.service.js';

const endpointQuery = ApiQuery({
  name: 'endpoint',
  required: true,
  description:
    'Path below the Advoware API base (relative; no scheme, host, "..", backslash or percent-encoding). ' +
    'Every other query parameter is forwarded unchanged, repeated keys included.',
  example: 'api/v1/advonet/Beteiligte/10001',
});

const BETEILIGTE_EXAMPLE = { betnr: 10001, name: 'Müller', vorname: 'Hans', rowId: 'AAAAAAAB3xQ=' };

const answers = [
  ApiOkResponse({
    description:
      'Advoware answered 2xx: its JSON as `result`; a non-JSON answer (a document) is passed through as bytes with its content type',
    schema: { example: { result: BETEILIGTE_EXAMPLE } },
  }),
  ApiResponse({
    status: 400,
    description: 'endpoint missing or not a safe relative path; or Advoware answered 400',
    schema: { example: { error: 'Endpoint required as query param', details: null } },
  }),
  ApiResponse({
    status: 401,
    description: 'X-Api-Key missing or wrong',
    schema: { example: { error: 'Unauthorized', details: 'X-Api-Key header missing or wrong' } },
  }),
  ApiResponse({
    status: 403,
    description:
      'endpoint outside PROXY_ALLOWED_PREFIXES, or Advoware refused (e.g. a delete it does not allow)',
  }),
  ApiResponse({
    status: 404,
    description: 'Advoware answered 404; `details` is its error body',
    schema: {
      example: {
        error:
          'advoware answered 404 on GET /api/v1/advonet/Beteiligte/1: Beteiligter 1 nicht gefunden',
        details: { Message: 'Beteiligter 1 nicht gefunden' },
      },
    },
  }),
  ApiResponse({ status: 413, description: 'request body larger than 1 MB' }),
  ApiResponse({
    status: 429,
    description: 'PROXY_RATE_LIMIT_PER_MINUTE exceeded for this key; see Retry-After',
    schema: {
      example: {
        error: 'Too Many Requests',
        details: { limitPerMinute: 600, retryAfterSeconds: 42 },
      },
    },
  }),
  ApiResponse({
    status: 502,
    description: 'Advoware unreachable, or it refused the hub’s own credentials',
  }),
  ApiResponse({ status: 504, description: 'Advoware did not answer within PROXY_TIMEOUT_SECONDS' }),
];

function documented(): MethodDecorator {
  return (target, key, descriptor) => {
    for (const d of [endpointQuery, ...answers]) d(target, key, descriptor);
    ApiProduces('application/json', 'application/octet-stream')(target, key, descriptor);
  };
}

const jsonBody = ApiBody({
  description: 'Forwarded to Advoware as JSON, unchanged',
  required: false,
  schema: {
    type: 'object',
    example: { name: 'Müller', vorname: 'Hans', externeId: '64f0c2a1e3b7d9a01' },
  },
});

@ApiTags('advoware-proxy')
@ApiSecurity('proxy-key')
@Controller('advoware')
export class AdvowareProxyController {
  constructor(private readonly proxy: AdvowareProxyService) {}

  @Step({
    name: 'Advoware Proxy GET',
    description:
      'Forwards GET /advoware/proxy?endpoint=… to Advoware with the shared token; answers {result}',
    flows: ['advoware-proxy'],
    trigger: http('GET', '/advoware/proxy'),
  })
  @Get('proxy')
  @ApiOperation({
    summary: 'GET a resource from Advoware',
    description: 'e.g. ?endpoint=api/v1/advonet/Termine&kuerzel=MS',
  })
  @documented()
  get(@Req() req: Request, @Res() res: Response): Promise<void> {
    return this.proxy.handle('GET', req, res);
  }

  @Step({
    name: 'Advoware Proxy POST',
    description:
      'Forwards POST /advoware/proxy?endpoint=… with its JSON body to Advoware; answers {result}',
    flows: ['advoware-proxy'],
    trigger: http('POST', '/advoware/proxy'),
  })
  @Post('proxy')
  @ApiOperation({
    summary: 'POST (create) in Advoware',
    description: 'e.g. ?endpoint=api/v1/advonet/Beteiligte',
  })
  @jsonBody
  @documented()
  post(@Req() req: Request, @Res() res: Response): Promise<void> {
    return this.proxy.handle('POST', req, res);
  }

  @Step({
    name: 'Advoware Proxy PUT',
    description:
      'Forwards PUT /advoware/proxy?endpoint=… with its JSON body to Advoware; answers {result}',
    flows: ['advoware-proxy'],
    trigger: http('PUT', '/advoware/proxy'),
  })
  @Put('proxy')
  @ApiOperation({
    summary: 'PUT (update) in Advoware',
    description: 'e.g. ?endpoint=api/v1/advonet/Beteiligte/10001',
  })
  @jsonBody
  @documented()
  put(@Req() req: Request, @Res() res: Response): Promise<void> {
    return this.proxy.handle('PUT', req, res);
  }

  @Step({
    name: 'Advoware Proxy DELETE',
    description: 'Forwards DELETE /advoware/proxy?endpoint=… to Advoware; answers {result}',
    flows: ['advoware-proxy'],
    trigger: http('DELETE', '/advoware/proxy'),
  })
  @Delete('proxy')
  @ApiOperation({
    summary: 'DELETE in Advoware',
    description: 'e.g. ?endpoint=api/v1/advonet/Termine/70001',
  })
  @documented()
  delete(@Req() req: Request, @Res() res: Response): Promise<void> {
    return this.proxy.handle('DELETE', req, res);
  }
}
